"""Demo people and enterprises. Numbers are computed, so every check digit is valid.

310114 is the region code of 嘉定区; 320583 (昆山市) marks a resident from
outside Shanghai, the typical applicant for a residence permit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tongban.identity.numbers import resident_id_make, uscc_make

PEOPLE: list[dict[str, Any]] = [
    {
        "username": "citizen",
        "name": "张伟",
        "id_number": resident_id_make(area="310114", birth=dt.date(1988, 3, 12), sequence=31),
        "gender": "male",
        "phone": "13817260431",
        "address": "上海市嘉定区新成路街道塔城路288弄5号",
    },
    {
        "username": "citizen2",
        "name": "李娜",
        "id_number": resident_id_make(area="320583", birth=dt.date(1992, 7, 8), sequence=24),
        "gender": "female",
        "phone": "15921873356",
        "address": "上海市嘉定区安亭镇墨玉南路1018弄12号",
    },
    {
        "username": "agent",
        "name": "王芳",
        "id_number": resident_id_make(area="310114", birth=dt.date(1985, 11, 23), sequence=46),
        "gender": "female",
        "phone": "13661985527",
        "address": "上海市嘉定区嘉定镇街道清河路66弄3号",
    },
    # People without accounts, for the registries and later cases.
    {
        "username": "",
        "name": "陈建国",
        "id_number": resident_id_make(area="310114", birth=dt.date(1965, 5, 2), sequence=13),
        "gender": "male",
        "phone": "13901734218",
        "address": "上海市嘉定区南翔镇古猗园路200弄8号",
    },
    {
        "username": "",
        "name": "刘洋",
        "id_number": resident_id_make(area="310114", birth=dt.date(1990, 1, 15), sequence=57),
        "gender": "male",
        "phone": "18017452290",
        "address": "上海市嘉定区江桥镇金沙江西路1555弄21号",
    },
    {
        "username": "",
        "name": "赵敏",
        "id_number": resident_id_make(area="310104", birth=dt.date(1979, 9, 30), sequence=62),
        "gender": "female",
        "phone": "13524607718",
        "address": "上海市徐汇区漕溪北路398弄6号",
    },
]

#: The enterprise the demo agent acts for.
DEMO_ENTERPRISE_USCC = uscc_make(org="MA1GU3K8")

ENTERPRISES: list[dict[str, Any]] = [
    {
        "uscc": DEMO_ENTERPRISE_USCC,
        "name": "上海嘉通餐饮管理有限公司",
        "legal_representative": "王芳",
        "address": "上海市嘉定区嘉定镇街道城中路138号2层",
        "established_on": dt.date(2019, 6, 18),
        "agents": ["agent"],
    },
    {
        "uscc": uscc_make(org="MA1H7WQ2"),
        "name": "上海汇嘉医药连锁有限公司",
        "legal_representative": "陈建国",
        "address": "上海市嘉定区南翔镇德华路88号",
        "established_on": dt.date(2016, 3, 9),
        "agents": [],
    },
    {
        "uscc": uscc_make(org="MA1K2D6N"),
        "name": "上海嘉定新城建设发展有限公司",
        "legal_representative": "刘洋",
        "address": "上海市嘉定区马陆镇白银路500号",
        "established_on": dt.date(2012, 11, 20),
        "agents": [],
    },
    {
        "uscc": uscc_make(org="MA1J4R9C"),
        "name": "上海疁城文化传播有限公司",
        "legal_representative": "赵敏",
        "address": "上海市嘉定区菊园新区平城路1055号",
        "established_on": dt.date(2021, 4, 26),
        "agents": [],
    },
]
