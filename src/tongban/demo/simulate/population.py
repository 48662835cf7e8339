"""The simulated district's residents and enterprises, registered through the identity services.

Every person gets a valid GB 11643 resident ID (``identity.numbers.resident_id_make``) and an
account that cannot sign in (an unusable password: they exist to apply, not to log in);
every enterprise a valid GB 32100 credit code (``uscc_make``) and one of the people as its
agent 经办人.  Usernames are ``sim-p-NNNNN``; a second run on the same database reuses them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from tongban.identity.choices import Gender
from tongban.identity.models import Agent, Enterprise, Person, User
from tongban.identity.numbers import resident_id_make, uscc_make
from tongban.identity.services import agent_authorise, enterprise_create, person_create, user_create

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志文斌宇浩凯健俊帆晨欣怡佳琪思雨子涵梓轩雅婷嘉诚"  # noqa: E501
#: 嘉定区 streets and towns, for addresses.
TOWNS = (
    "嘉定镇街道",
    "新成路街道",
    "真新街道",
    "南翔镇",
    "安亭镇",
    "马陆镇",
    "徐行镇",
    "华亭镇",
    "外冈镇",
    "江桥镇",
    "菊园新区",
)
ROADS = (
    "城中路",
    "塔城路",
    "清河路",
    "墨玉南路",
    "博乐路",
    "沪宜公路",
    "叶城路",
    "白银路",
    "德华路",
    "陈家山路",
    "裕民南路",
    "胜辛路",
)
TRADES = (
    "餐饮管理",
    "医药连锁",
    "科技",
    "贸易",
    "建设发展",
    "物流",
    "文化传媒",
    "汽车零部件",
    "电子商务",
    "环保工程",
    "信息技术",
    "食品",
)
BRANDS = "嘉通汇安联创恒瑞新宏达鑫盛华信博远泰和丰源凯德隆昌启明卓越"
#: Region codes: mostly 嘉定区, some other Shanghai districts and neighbouring cities.
AREAS = ("310114",) * 6 + ("310112", "310104", "320583", "330402", "340104", "410105")


@dataclass(frozen=True)
class Resident:
    """A simulated person able to apply (their account, person row and contact details)."""

    user: User
    person: Person


@dataclass(frozen=True)
class Firm:
    """A simulated enterprise and the resident acting for it."""

    enterprise: Enterprise
    agent: Resident


@dataclass(frozen=True)
class Population:
    residents: list[Resident]
    firms: list[Firm]


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def street_address(rng: random.Random) -> str:
    return (
        f"上海市嘉定区{rng.choice(TOWNS)}{rng.choice(ROADS)}"
        f"{rng.randint(1, 999)}弄{rng.randint(1, 60)}号"
    )


def mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}"


def population_ensure(*, rng: random.Random, people: int, firms: int) -> Population:
    """Register the simulated residents and enterprises that are missing; reuse the others."""
    password = make_password(None)  # unusable: simulated people never sign in
    residents: list[Resident] = []
    existing_users = {u.username: u for u in User.objects.filter(username__startswith="sim-p-")}
    persons = {p.user_id: p for p in Person.objects.filter(user__username__startswith="sim-p-")}
    taken = set(Person.objects.values_list("id_number", flat=True))
    with transaction.atomic():
        for index in range(people):
            # Drawn whether or not the person exists, so a rerun draws the same figures.
            name = person_name(rng)
            area = rng.choice(AREAS)
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 54 * 365))
            gender = rng.choice((Gender.MALE, Gender.FEMALE))
            phone = mobile(rng)
            address = street_address(rng)
            username = f"sim-p-{index:05d}"
            user = existing_users.get(username)
            if user is not None and user.pk in persons:
                residents.append(Resident(user=user, person=persons[user.pk]))
                continue
            if user is None:
                user = user_create(
                    username=username,
                    password=password,
                    password_hashed=True,
                    first_name=name,
                    phone=phone,
                )
            person = person_create(
                name=name,
                id_number=_id_number_new(rng, area=area, birth=birth, gender=gender, taken=taken),
                user=user,
                phone=phone,
                gender=gender,
                address=address,
            )
            residents.append(Resident(user=user, person=person))

        existing_firms = {e.uscc: e for e in Enterprise.objects.filter(uscc__contains="310114TB")}
        agents = set(
            Agent.objects.filter(enterprise__in=existing_firms.values()).values_list(
                "enterprise_id", "user_id"
            )
        )
        out: list[Firm] = []
        for index in range(firms):
            name = f"上海{_brand(rng)}{rng.choice(TRADES)}有限公司"
            agent = residents[rng.randrange(len(residents))]
            address = street_address(rng)
            founded = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randint(0, 19 * 365))
            # "TB" + six digits: the simulated enterprises' own range of organisation codes.
            uscc = uscc_make(area="310114", org=f"TB{index:06d}")
            enterprise = existing_firms.get(uscc)
            if enterprise is None:
                enterprise = enterprise_create(
                    uscc=uscc,
                    name=name,
                    legal_representative=agent.person.name,
                    address=address,
                    established_on=founded,
                )
            if (enterprise.pk, agent.user.pk) not in agents:
                agent_authorise(user=agent.user, enterprise=enterprise)
            out.append(Firm(enterprise=enterprise, agent=agent))
    return Population(residents=residents, firms=out)


def _id_number_new(
    rng: random.Random, *, area: str, birth: dt.date, gender: str, taken: set[str]
) -> str:
    """A resident ID nobody holds yet; the sequence's parity is the gender (GB 11643)."""
    while True:
        sequence = rng.randrange(500) * 2 + (1 if gender == Gender.MALE else 0)
        number = resident_id_make(area=area, birth=birth, sequence=sequence)
        if number not in taken:
            taken.add(number)
            return number


def company_name_new(rng: random.Random) -> str:
    """A proposed name for a company to be opened: three brand characters and a trade (some
    320,000 names, so two applications open at once rarely ask for the same one)."""
    brand = "".join(rng.choice(BRANDS) for _ in range(3))
    return f"上海嘉定{brand}{rng.choice(TRADES)}有限公司"


def _brand(rng: random.Random) -> str:
    return rng.choice(BRANDS) + rng.choice(BRANDS)
