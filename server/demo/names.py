"""Hand-written name lists for the demo register of 铁北社区 (Taiyuan, 2022).

Surnames are weighted roughly by how common they are in Shanxi; given names follow the fashions of the decade
a person was born in, so that a 80-year-old woman is 秀英 and a 5-year-old boy is 浩然. And the ids of demo rows,
which every seeding module (demo/seed.py, demo/guides.py, register/seed.py) names rows by.
"""

from __future__ import annotations

import uuid

# Every seeded row's id is uuid5(NAMESPACE, "kind:key").
NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-5e0c-9a41-7a1e2b0c1122")


def demo_uuid(kind: str, key: str) -> uuid.UUID:
    """The fixed id of a demo row, e.g. demo_uuid("household", "2-1-301")."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{key}")


# (surname, weight). 王 张 李 刘 are far ahead everywhere; 郭 武 贾 韩 乔 闫 段 are typically Shanxi.
# fmt: off
SURNAMES: list[tuple[str, int]] = [
    ("王", 90), ("李", 80), ("张", 80), ("刘", 60), ("赵", 40), ("郭", 36), ("杨", 34), ("陈", 30),
    ("武", 22), ("贾", 20), ("高", 20), ("韩", 18), ("梁", 18), ("田", 16), ("孙", 16), ("马", 16),
    ("吴", 14), ("周", 14), ("程", 14), ("乔", 12), ("闫", 12), ("段", 12), ("冯", 12), ("史", 11),
    ("徐", 11), ("胡", 10), ("朱", 10), ("郝", 10), ("霍", 10), ("白", 10), ("许", 9), ("宋", 9),
    ("薛", 9), ("黄", 8), ("何", 8), ("林", 6), ("罗", 6), ("郑", 7), ("谢", 6), ("曹", 8),
    ("董", 8), ("侯", 8), ("温", 8), ("常", 7), ("秦", 7), ("牛", 7), ("苏", 6), ("任", 7),
    ("范", 6), ("石", 6), ("吕", 6), ("崔", 6), ("康", 6), ("卫", 5), ("邢", 5), ("申", 5),
    ("阎", 5), ("樊", 5), ("翟", 4), ("杜", 5), ("魏", 5), ("于", 5), ("袁", 4), ("唐", 4),
    ("丁", 4), ("姚", 4), ("卢", 4), ("蔡", 3), ("彭", 3), ("潘", 3), ("姜", 3), ("毛", 3),
    ("尹", 3), ("焦", 4), ("裴", 4), ("药", 2), ("畅", 2), ("弓", 2),
]
# fmt: on

# Given names by birth decade and sex. Keys are the first year of the band.
GIVEN_NAMES: dict[int, dict[str, list[str]]] = {
    # Born 1930-1949: now 73 and over.
    1930: {
        "F": (
            "秀英 桂兰 玉兰 淑珍 秀兰 桂英 凤英 玉珍 素梅 桂芝 "
            "金花 兰英 秀珍 玉梅 淑英 桂花 凤兰 翠英 秀芳 银花 "
            "玉莲 巧云 润梅 爱莲"
        ).split(),
        "M": (
            "建国 国强 德胜 福贵 振华 德明 长海 有才 文华 保国 "
            "富贵 永福 树林 俊德 来喜 满仓 福林 玉山 润生 德旺 "
            "锁柱 金锁 二虎 根旺"
        ).split(),
    },
    # Born 1950-1964: now 58-72.
    1950: {
        "F": (
            "秀梅 丽华 红梅 桂香 淑华 玉芳 美华 春梅 凤琴 爱华 丽萍 小红 秀琴 玉琴 爱萍 建英 彩霞 润莲 桂琴 淑芳"
        ).split(),
        "M": (
            "建华 建军 卫东 红军 志强 国庆 建平 解放 永红 跃进 援朝 卫国 志刚 建设 向东 文明 兴旺 保平 晋生 太平"
        ).split(),
    },
    # Born 1965-1979: now 43-57.
    1965: {
        "F": (
            "丽 静 敏 燕 娟 丽娟 海燕 晓燕 红 霞 润芳 亚琴 翠萍 秀红 翠兰 艳 芳 丽君 雪梅 春燕 玉霞 秀丽 晓红 俊英 慧芳"
        ).split(),
        "M": (
            "伟 强 军 勇 斌 刚 建伟 志伟 晓东 海涛 "
            "建新 永强 俊杰 宏伟 利军 红兵 晋军 文斌 海军 国华 "
            "二平 新民 保红 拴柱 建忠"
        ).split(),
    },
    # Born 1980-1994: now 28-42.
    1980: {
        "F": (
            "婷 丹 莉 洁 倩 璐 晶 佳 雪 婷婷 "
            "晓丽 丽娜 晶晶 慧 琳 亚楠 佳慧 丹丹 晓敏 瑞芳 "
            "艳红 晓霞 美玲 瑞霞 慧敏 蕾 娜 妍 雅琴 海霞"
        ).split(),
        "M": (
            "磊 涛 超 鹏 辉 杰 波 浩 宇 鑫 "
            "帅 凯 旭 鹏飞 晓峰 俊峰 亮 博 晨 昊 "
            "晋峰 建斌 振宇 文涛 晓龙 国栋 海鹏 志勇 瑞军 鹏程"
        ).split(),
    },
    # Born 1995-2009: now 13-27.
    1995: {
        "F": (
            "欣 悦 雨婷 思琪 梦瑶 佳琪 欣然 雨欣 嘉怡 晓雨 心怡 雅琪 静怡 佳怡 梦琪 诗琪 一凡 紫涵 雨萱 可欣"
        ).split(),
        "M": (
            "浩宇 宇航 子豪 嘉豪 俊杰 博文 天宇 泽宇 鑫宇 文博 一鸣 子健 昊天 宇轩 博涵 佳豪 志远 家乐 晨阳 皓然"
        ).split(),
    },
    # Born 2010-2022: now 0-12.
    2010: {
        "F": (
            "子涵 欣怡 梓涵 诗涵 一诺 雨桐 可馨 语汐 若汐 思涵 芷若 梓萱 沐晴 安然 语桐 依诺 星瑶 梓琪 晨曦 若溪"
        ).split(),
        "M": (
            "浩然 子轩 宇轩 梓轩 俊熙 沐宸 子墨 皓轩 梓睿 明轩 宇泽 奕辰 一诺 睿泽 思远 铭轩 梓豪 子默 锦程 承泽"
        ).split(),
    },
}

# Names of the demo accounts that are not people of the stories.
VOLUNTEER_NAMES: list[str] = ["赵志刚", "孙丽萍", "韩晓东", "贾文博", "乔雅琴"]
