"""Reading uploads: every file is generated here, messy the way real lists are."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from server.imports import columns
from server.imports.normalize import door_key
from server.imports.reader import MAX_BYTES, ImportProblem, read_table

ROWS = [["张国强", "男", "２栋１单元３０１室", "138 1234 5678"], ["李秀英", "女", "2号楼1单元301", "+86 13912345678"]]


def xlsx(lines: list[list], merges: tuple[str, ...] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in lines:
        sheet.append(line)
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problem(data: bytes, name: str = "list.csv") -> str:
    with pytest.raises(ImportProblem) as caught:
        read_table(data, name)
    return caught.value.code


@pytest.mark.parametrize(
    "data",
    [
        "姓名,性别,住址,联系电话\n张国强,男,２栋１单元３０１室,138 1234 5678\n".encode(),
        "\ufeff姓名,性别,住址,联系电话\n张国强,男,２栋１单元３０１室,138 1234 5678\n".encode(),
        "姓名,性别,住址,联系电话\r\n张国强,男,２栋１单元３０１室,138 1234 5678\r\n".encode("gbk"),
        "姓名\t性别\t住址\t联系电话\n张国强\t男\t２栋１单元３０１室\t138 1234 5678\n".encode("gb18030"),
        # Excel's "Unicode text" (UTF-16 LE, tabs) and a UTF-16 BE .csv, each with its byte order mark: it read
        # "not a spreadsheet" (a stranger's walk of issue 15).
        "\ufeff姓名\t性别\t住址\t联系电话\r\n张国强\t男\t２栋１单元３０１室\t138 1234 5678\r\n".encode("utf-16-le"),
        "\ufeff姓名,性别,住址,联系电话\n张国强,男,２栋１单元３０１室,138 1234 5678\n".encode("utf-16-be"),
        # ... and without it, as some programs save it: it read "not a spreadsheet" (issue 15, a Low).
        "姓名\t性别\t住址\t联系电话\r\n张国强\t男\t２栋１单元３０１室\t138 1234 5678\r\n".encode("utf-16-le"),
        "姓名,性别,住址,联系电话\n张国强,男,２栋１单元３０１室,138 1234 5678\n".encode("utf-16-be"),
    ],
    ids=[
        "utf-8",
        "utf-8 with BOM",
        "gbk",
        "tab-separated gb18030",
        "utf-16 le",
        "utf-16 be",
        "utf-16 le without its mark",
        "utf-16 be without its mark",
    ],
)
def test_csv_encodings_read_the_same(data):
    table = read_table(data, "list.csv")
    assert table.headers == ["姓名", "性别", "住址", "联系电话"]
    # Cells as written (a note keeps its ，); the door is folded where it is compared.
    assert table.rows[0].cells == ["张国强", "男", "２栋１单元３０１室", "138 1234 5678"]
    assert door_key(table.rows[0].cells[2]) == "2-1-301"
    assert table.mapping == {0: "name", 1: "sex", 2: "address", 3: "phone"}


def test_a_big5_list_is_read_as_big5_not_as_gbk_s_rare_characters():
    """Issue 15, a Low: a list saved in Big5 was read as GBK, each name turned into other characters."""
    data = "姓名,住址,聯繫電話\n張國強,2棟1單元301室,138 1234 5678\n陳麗華,2棟1單元302室,139 1234 5678\n".encode("big5")
    table = read_table(data, "list.csv")
    assert table.headers[0] == "姓名" and [row.cells[0] for row in table.rows] == ["張國強", "陳麗華"]
    # A GBK list whose names use characters outside GB2312 stays GBK.
    gbk = "姓名,住址\n王喆,2-1-301\n李昇,2-1-302\n张国强,2-1-303\n刘秀英,2-1-304\n".encode("gbk")
    assert [row.cells[0] for row in read_table(gbk, "list.csv").rows] == ["王喆", "李昇", "张国强", "刘秀英"]


def test_header_below_a_merged_title_and_blank_lines_is_found():
    data = xlsx(
        [["2022年11月24日 2号楼核酸检测名单"], [], ["序号", "姓名", "性别", "楼栋", "单元", "门牌号", "手机号"]]
        + [[1, "张国强", "男", 2, 1, 301, 13812345678], [2, "李秀英", "女", None, None, None, None]],
        merges=("A1:G1", "D4:D5", "E4:E5", "F4:F5"),  # the family's door written once for both
    )
    table = read_table(data, "list.xlsx")
    assert table.header_line == 3
    assert {"header_not_first", "merged"} <= set(table.notes)
    assert table.rows[0].cells == ["1", "张国强", "男", "2", "1", "301", "13812345678"]  # 13812345678.0 -> digits
    assert table.rows[1].cells[3:6] == ["2", "1", "301"]  # merged cells filled down
    assert sorted(table.mapping.values()) == ["building", "name", "phone", "room", "sex", "unit"]


def test_blank_and_duplicated_rows():
    data = "姓名,住址\n张国强,2-1-301\n\n李秀英,2-1-301\n,\n张国强,2-1-301\n\n\n".encode()
    table = read_table(data, "list.csv")
    assert [row.line for row in table.rows] == [2, 4, 6]
    assert [row.duplicate_of for row in table.rows] == [None, None, 2]
    assert table.blank_rows == 2  # between people; the trailing ones are no news


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(300), "not_a_spreadsheet"),
        (b"%PDF-1.7\n1 0 obj << >> endobj", "not_a_spreadsheet"),
        (b"PK\x03\x04not really a zip", "not_a_spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "old_excel"),
        ("就是一段话，没有表格。\n第二行。".encode(), "not_a_spreadsheet"),
        ("姓名,住址\n".encode(), "no_rows"),
        (b"\xfa\xfb\xff\xfe" * 10, "unknown_encoding"),  # (starting with FF FE, they are UTF-16 text)
        (b"\xff\xfe" + "姓名,住址\n".encode("utf-16-le") + b"\x00\xd8", "unknown_encoding"),  # half a character
        ("姓名,住址\n".encode() + b"\xff\xfe\xc3\x28,\xe2\x82\n\xa0\xa1,\x80\x80\n", "unknown_encoding"),
        ('姓名,住址\n"'.encode() + b"a\n" * 70_000 + b'",x\n', "cell_too_long"),  # past csv's own field limit
    ],
    ids=[
        "empty",
        "blank lines",
        "png",
        "pdf",
        "broken zip",
        "xls",
        "prose",
        "header only",
        "undecodable",
        "neither utf-8 nor gb18030",
        "utf-16 cut in a character",
        "a quoted cell of many lines",
    ],
)
def test_unusable_files_say_why(data, code):
    assert problem(data) == code


def test_a_50_mb_file_is_refused_before_reading():
    assert problem(b"a" * MAX_BYTES) == "too_large"
    assert read_table(b"a,b\n1,2\n" + b" " * 1000, "small.csv").rows  # well under the limit is read


def test_headers_are_recognised_with_decorations_and_unknown_ones_left_for_a_person():
    assert columns.field_of("身份证号（后6位）") == "id_number"
    assert columns.field_of("*联系电话:") == "phone"
    assert columns.field_of("证件号码") == "id_number"
    assert columns.field_of("楼号") == "building"
    assert columns.field_of("房号") == "room"
    assert columns.field_of("检测时间") is None
    mapping = columns.apply_choices(["人", "门", "号码"], {0: "name", 1: "address", 2: "phone"})
    assert mapping == {0: "name", 1: "address", 2: "phone"}
    # One field is never taken by two columns; "" leaves a column unused.
    assert columns.apply_choices(["姓名", "名字"], {1: "name"}) == {0: "name"}
    assert columns.apply_choices(["姓名", "电话"], {1: ""}) == {0: "name"}


def test_a_register_header_over_two_rows_names_the_contact_columns():
    """紧急联系人 merged over 姓名 | 关系 | 联系电话, the other headers merged down over both rows."""
    upper = ["序号", "姓名", "住址", "紧急联系人", None, None, "备注"]
    lower = [None, None, None, "姓名", "关系", "联系电话", None]
    data = xlsx(
        [["老年人台账"], upper, lower, [1, "侯秀兰", "2-3-502", "侯建军", "儿子", "139 0000 1111", ""]],
        merges=("A1:G1", "D2:F2", "A2:A3", "B2:B3", "C2:C3", "G2:G3"),
    )
    table = read_table(data, "台账.xlsx")
    assert table.header_line == 3 and table.rows[0].cells[1] == "侯秀兰"
    assert table.headers[3:6] == ["紧急联系人姓名", "紧急联系人关系", "紧急联系人联系电话"]
    mapping = columns.detect(table.headers, columns.REGISTER_FIELDS)
    assert [mapping[i] for i in range(1, 7)] == [
        "name",
        "address",
        "contact1_name",
        "contact1_relation",
        "contact1_phone",
        "notes",
    ]


def test_a_title_over_the_whole_table_is_not_a_header_row():
    data = xlsx(
        [["11月24日 2号楼核酸检测名单"], ["姓名", "住址", "手机号"], ["张国强", "2-1-301", "13812345678"]], ("A1:C1",)
    )
    table = read_table(data, "list.xlsx")
    assert table.headers == ["姓名", "住址", "手机号"] and table.header_line == 2


def test_a_registers_headers_and_its_contacts_in_order():
    headers = ["姓名", "出生年月", "年龄", "独居/空巢", "行动能力", "慢性病史", "常用药", "爱好", "紧急联系人1"]
    headers += ["联系电话1", "紧急联系人2", "关系", "联系电话", "备注（其他）"]
    mapping = columns.detect(headers, columns.REGISTER_FIELDS)
    assert list(mapping.values()) == [
        "name",
        "birth_date",
        "age",
        "living",
        "mobility",
        "conditions",
        "medicines",
        "interests",
        "contact1_name",
        "contact1_phone",
        "contact2_name",
        "contact2_relation",
        "contact2_phone",
        "notes",
    ]
    # A list for reconciling keeps its own fields: a contact's phone is not the person's.
    assert columns.detect(["姓名", "紧急联系人电话", "住址"]) == {0: "name", 2: "address"}
    # The resident's own phone before the contact, the contact's after it.
    assert columns.detect(["姓名", "联系电话", "紧急联系人", "联系电话"], columns.REGISTER_FIELDS) == {
        0: "name",
        1: "phone",
        2: "contact1_name",
        3: "contact1_phone",
    }


def test_contact_columns_read_as_a_list_of_people_and_as_a_register():
    """A 联系电话 beside 联系人 is the listed person's own number on a test point's list, the contact's in a register;
    a column that says it is someone else's (紧急联系人, 监护人) is never the person's on either."""
    for headers, as_list, as_register in [
        (
            ["姓名", "住址", "联系人", "联系电话"],
            {0: "name", 1: "address", 3: "phone"},
            {0: "name", 1: "address", 2: "contact1_name", 3: "contact1_phone"},
        ),
        (
            ["姓名", "住址", "联系人电话"],
            {0: "name", 1: "address", 2: "phone"},
            {0: "name", 1: "address", 2: "contact1_phone"},
        ),
        (
            ["姓名", "紧急联系人电话", "住址"],
            {0: "name", 2: "address"},
            {0: "name", 1: "contact1_phone", 2: "address"},
        ),
        (
            ["姓名", "住址", "监护人", "联系电话"],
            {0: "name", 1: "address"},
            {0: "name", 1: "address", 2: "contact1_name", 3: "contact1_phone"},
        ),
        (
            ["姓名", "手机号", "紧急联系人", "关系", "联系电话"],
            {0: "name", 1: "phone"},
            {0: "name", 1: "phone", 2: "contact1_name", 3: "contact1_relation", 4: "contact1_phone"},
        ),
    ]:
        assert columns.detect(headers) == as_list, headers
        assert columns.detect(headers, columns.REGISTER_FIELDS) == as_register, headers
