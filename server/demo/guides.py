"""Starter guides of the demo community: four shared guides in Chinese with English versions, and 郝大爷's own.

Ids are fixed (uuid5 of the demo namespace); link tokens are random, made once when the guide is first seeded.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import anyio.to_thread

from server.db import insert_in_chunks
from server.demo.names import demo_uuid
from server.guides import fonts
from server.guides.services import new_token
from server.guides.tables import Guide, GuideFont, GuideLink, GuideStep

# (key, lang, title, [(text, tip)]): the key names the pair, so the Chinese guide and its English version match.
STARTER_GUIDES: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    (
        "groceries",
        "zh_CN",
        "在小程序里买菜",
        [
            ("打开微信，点最下面的“发现”。", "微信是绿色的图标，里面有两个白色的小人。"),
            ("点“小程序”，在上面的搜索框里写店的名字。", "不会打字，就按住话筒说出店名。"),
            ("点进店里，找到想买的菜，点“＋”放进购物车。", ""),
            ("点“去结算”，看看送货地址是不是您家。", "地址不对，先别付钱，给网格员打电话。"),
            ("点“提交订单”，再照着“用微信支付付钱”那份攻略付钱。", ""),
            ("菜送到了，网格员会放在门口，再给您打电话。", "等送菜的人走开了，再开门拿。"),
        ],
    ),
    (
        "groceries",
        "en",
        "Buying vegetables in a mini-program",
        [
            ("Open WeChat and tap “Discover” at the bottom.", "WeChat is the green icon with two white figures."),
            ("Tap “Mini Programs” and type the shop's name in the search box.", "Cannot type? Hold the microphone."),
            ("Open the shop, find the vegetables you want, tap “+” to add them.", ""),
            ("Tap “Check out” and check that the address is your home.", "Wrong address? Do not pay; call us."),
            ("Tap “Submit order”, then pay as the WeChat Pay guide shows.", ""),
            ("Your grid worker leaves the vegetables at your door and calls you.", "Open the door once they left."),
        ],
    ),
    (
        "wechat-pay",
        "zh_CN",
        "用微信支付付钱",
        [
            ("下单以后会出来“微信支付”，先看清楚要付多少钱。", ""),
            ("点绿色的“立即支付”。", ""),
            ("输入六位数的支付密码，或者按指纹。", "密码不要告诉任何人，网格员也不会问您要密码。"),
            ("看到绿色的对勾和“支付成功”，就付好了。", ""),
            ("想看付了多少，在微信里点“微信支付”的消息。", ""),
        ],
    ),
    (
        "wechat-pay",
        "en",
        "Paying with WeChat Pay",
        [
            ("After ordering, “WeChat Pay” appears. First check how much it is.", ""),
            ("Tap the green “Pay now”.", ""),
            ("Enter your six-digit payment password, or use your fingerprint.", "Never tell anyone your password."),
            ("A green tick and “Payment successful” mean it is paid.", ""),
            ("To see what you paid, open the “WeChat Pay” messages in WeChat.", ""),
        ],
    ),
    (
        "ask-for-help",
        "zh_CN",
        "找网格员帮忙",
        [
            ("找到写着网格员电话的纸，或者看这页最下面。", ""),
            ("给网格员打电话，先说您的名字和门牌号。", "比如：“我是5号楼1单元602的老郝。”"),
            ("说清楚要什么：买什么菜、什么药、要多少。", ""),
            ("买药和急事，一定要说“急”。", "独居老人和急用的药，网格员会先办。"),
            ("东西送到门口，网格员会打电话告诉您。", ""),
        ],
    ),
    (
        "ask-for-help",
        "en",
        "Asking your grid worker for help",
        [
            ("Find the paper with your grid worker's phone, or look at the bottom of this page.", ""),
            ("Call your grid worker. Say your name and your door number first.", "For example: “Hao, 5-1-602.”"),
            ("Say clearly what you need: which vegetables, which medicine, how much.", ""),
            ("For medicine or anything urgent, say “urgent”.", "Urgent medicine for people living alone comes first."),
            ("Your grid worker calls you when it is at your door.", ""),
        ],
    ),
    (
        "bigger-text",
        "zh_CN",
        "把手机上的字调大",
        [
            ("打开手机的“设置”。", "设置是一个齿轮样子的图标。"),
            ("找到“显示”，或者“显示和亮度”。", ""),
            ("点“字体大小”，把圆点往右拉，字就变大了。", ""),
            ("微信里的字：点“我”，再点“设置”、“通用”、“字体大小”。", ""),
            ("拉到看得清楚的大小，点“完成”。", ""),
        ],
    ),
    (
        "bigger-text",
        "en",
        "Making the text bigger on your phone",
        [
            ("Open the phone's “Settings”.", "Settings is the icon that looks like a gear."),
            ("Find “Display”, or “Display & brightness”.", ""),
            ("Tap “Font size” and drag the dot to the right: the text grows.", ""),
            ("In WeChat: tap “Me”, then “Settings”, “General”, “Font size”.", ""),
            ("Stop when you can read it easily, and tap “Done”.", ""),
        ],
    ),
]

# Story 9: 郝大爷's own guide, written by his grid worker 陈瑞云 (grid 3).
PERSONAL_GUIDE = (
    "hao",
    "zh_CN",
    "郝大爷：在铁北生鲜买菜",
    [
        ("打开微信，点最下面的“发现”，再点“小程序”。", ""),
        ("点“铁北生鲜”，进到店里。", "我已经帮您把它放在最上面了。"),
        ("选好菜，点“＋”放进购物车，再点“去结算”。", ""),
        ("地址是5号楼1单元602，对了就点“提交订单”。", ""),
        ("输入六位数的支付密码付钱。", "密码只有您自己知道，别告诉任何人。"),
        ("有不会的，就给我打电话。", ""),
    ],
)


def guide_id(key: str, lang: str) -> uuid.UUID:
    return demo_uuid("guide", f"{key}/{lang}")


async def guide_rows(
    *, community_id: uuid.UUID, author: dict, hao: dict | None, font_path: str, at: datetime
) -> dict[type, list]:
    """The rows of the starter guides, and of their font subsets (made here, before any transaction)."""
    specs = [(spec, None, author) for spec in STARTER_GUIDES]
    if hao is not None:
        specs.append((PERSONAL_GUIDE, hao["resident_id"], hao["worker"]))
    rows: dict[type, list] = {Guide: [], GuideStep: [], GuideLink: [], GuideFont: []}
    keys: set[str] = set()
    for (key, lang, title, steps), resident_id, contact in specs:
        gid = guide_id(key, lang)
        font_key = ""
        if fonts.font_available(font_path):
            texts = [title, contact["name"], contact["phone"]] + [part for step in steps for part in step]
            chars = fonts.characters_of(*texts)
            font_key = fonts.subset_key(font_path, chars)
            if font_key not in keys:
                keys.add(font_key)
                woff2, glyphs = await anyio.to_thread.run_sync(fonts.make_subset, font_path, chars)
                rows[GuideFont].append(GuideFont(key=font_key, woff2=woff2, glyphs=glyphs, created_at=at))
        rows[Guide].append(
            Guide(
                id=gid,
                community=community_id,
                resident=resident_id,
                title=title,
                lang=lang,
                contact_name=contact["name"],
                contact_phone=contact["phone"],
                font_key=font_key,
                created_by=contact["id"],
                created_at=at,
                updated_at=at,
            )
        )
        rows[GuideLink].append(GuideLink(guide=gid, token=new_token(), created_at=at))
        rows[GuideStep] += [
            GuideStep(guide=gid, position=n, text=text, tip=tip) for n, (text, tip) in enumerate(steps, start=1)
        ]
    return rows


def seeded() -> uuid.UUID:
    """The id that tells whether the starter guides are in a database."""
    return guide_id(*STARTER_GUIDES[0][:2])


async def insert_guide_rows(rows: dict[type, list]) -> int:
    """Inside the seed's transaction: font subsets not stored yet, then the guides, links and steps."""
    if await Guide.exists().where(Guide.id == seeded()):
        return 0
    existing = {row["key"] for row in await GuideFont.select(GuideFont.key)}
    rows[GuideFont] = [font for font in rows[GuideFont] if font.key not in existing]
    for table in (GuideFont, Guide, GuideLink, GuideStep):
        await insert_in_chunks(table, rows[table])
    return len(rows[Guide])
