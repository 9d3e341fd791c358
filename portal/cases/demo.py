"""Demo cases: about fifty per compound, in every state the workflow reaches so far, with
plausible Chinese text and timelines, made through the same services people use."""

import random
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Home, HomeState, Person
from portal.accounts.roles import Role
from portal.accounts.service import people_holding
from portal.cases import service
from portal.cases.categories import Category, rule_for
from portal.cases.models import Need, Priority
from portal.cases.workflow import State
from portal.clock import fixed, now
from portal.extensions import db
from portal.feedback import service as feedback
from portal.feedback.models import Satisfaction, Source

# (category, what happened, where, urgent)
ISSUES = [
    (Category.LIFT, "电梯经常停在半层，门开不了，老人不敢坐。", "单元电梯", False),
    (Category.LIFT, "电梯困人！我母亲被困在电梯里，按警铃没人应。", "单元电梯轿厢", True),
    (Category.REPAIR, "楼道声控灯坏了一个多星期，晚上上下楼看不见。", "楼道三至五层", False),
    (Category.REPAIR, "楼上卫生间漏水，我家天花板一直往下滴水。", "卫生间顶部", False),
    (Category.REPAIR, "单元门禁坏了，门一直关不上，陌生人随便进出。", "单元门", False),
    (Category.REPAIR, "地下室水管爆了，水已经漫到储藏室。", "地下室", True),
    (Category.UTILITIES, "整栋楼从早上开始停水，物业没有任何通知。", "3号楼", False),
    (Category.UTILITIES, "暖气一直不热，家里只有十四度，老人受不了。", "客厅和卧室", False),
    (Category.SANITATION, "垃圾桶满了两天没人清运，气味很大。", "楼前垃圾分类点", False),
    (Category.SANITATION, "楼道里堆满了住户的杂物和纸箱，有火灾隐患。", "一楼楼道", False),
    (Category.GREENERY, "楼前的大树枝条压到了电线，刮风时很危险。", "楼前绿化带", False),
    (Category.GREENERY, "绿化带里的草很久没修剪，蚊虫很多。", "小区中心花园", False),
    (Category.SECURITY, "电动车在楼道里充电，飞线很多，担心起火。", "一楼楼梯间", False),
    (Category.SECURITY, "消防通道被私家车长期占用。", "东门消防通道", False),
    (
        Category.PARKING,
        "小区车位不够，晚上车都停到了绿化带上，希望重新规划停车。",
        "小区主干道",
        False,
    ),
    (Category.NEIGHBOUR_DISPUTE, "楼上邻居在公共区域种菜，和其他住户起了争执。", "楼后空地", False),
    (Category.NOISE, "楼下商铺晚上十一点后还在大声放音乐。", "临街商铺", False),
    (Category.NOISE, "楼上每天深夜装修打孔，影响休息。", "楼上住户", False),
    (Category.MAINTENANCE_FUND, "外墙瓷砖脱落，想申请使用维修资金维修外墙。", "外墙", False),
    (Category.RENOVATION, "老旧小区改造，希望加装电梯，想听听大家的意见。", "单元楼", False),
    (Category.FEES, "物业费收了，但保洁次数明显减少了，希望公示收支。", "物业服务中心", False),
    (Category.COMPOUND_RULES, "建议小区公约里加上禁止高空抛物和楼道堆物的条款。", "全小区", False),
    (Category.OTHER, "小区里有流浪狗，晚上叫个不停，孩子害怕。", "北门附近", False),
]
# More of what residents say, for the cases walked in bulk (the demo's year, the city): the
# cases made through the services above keep to ISSUES.
MORE_ISSUES = [
    (Category.LIFT, "电梯按钮失灵，经常到不了要去的楼层。", "单元电梯", False),
    (Category.LIFT, "电梯运行时有异响，晃得厉害，大家都不敢坐。", "单元电梯", False),
    (Category.UTILITIES, "楼道里的供水管漏水，地面一直是湿的。", "楼道水管井", False),
    (Category.UTILITIES, "水表井漏水，楼前地面积了一大片水。", "楼前水表井", False),
    (Category.UTILITIES, "暖气片接口漏水，把地板都泡了。", "客厅暖气片", False),
    (Category.UTILITIES, "天太热用电高峰，楼里一天跳闸好几次。", "单元配电箱", False),
    (Category.SANITATION, "天热了垃圾站味道太大，苍蝇很多。", "小区垃圾站", False),
    (Category.SANITATION, "落叶和枯枝堆在路边好几天没人扫。", "小区主路", False),
    (Category.GREENERY, "草坪里蚊子太多，希望喷药消杀。", "楼前草坪", False),
    (Category.SECURITY, "过年期间有人在楼道口燃放烟花，很危险。", "单元门口", False),
    (Category.PARKING, "春节走亲戚的车太多，把消防通道都堵了。", "小区主干道", False),
    (Category.RENOVATION, "楼上装修把承重墙打了洞，担心安全。", "楼上住户", False),
    (Category.FEES, "供暖费和物业费一起收，希望说明收费标准。", "物业服务中心", False),
]
# The months in which a thing is said at all (the rest: any month).
_WINTER = frozenset({11, 12, 1, 2, 3})
_SUMMER = frozenset({5, 6, 7, 8, 9})
IN_SEASON = {
    "暖气一直不热，家里只有十四度，老人受不了。": _WINTER,
    "暖气片接口漏水，把地板都泡了。": _WINTER,
    "供暖费和物业费一起收，希望说明收费标准。": frozenset({10, 11, 12}),
    "绿化带里的草很久没修剪，蚊虫很多。": _SUMMER,
    "草坪里蚊子太多，希望喷药消杀。": _SUMMER,
    "天太热用电高峰，楼里一天跳闸好几次。": frozenset({6, 7, 8}),
    "天热了垃圾站味道太大，苍蝇很多。": _SUMMER,
    "落叶和枯枝堆在路边好几天没人扫。": frozenset({10, 11}),
    "过年期间有人在楼道口燃放烟花，很危险。": frozenset({1, 2}),
    "春节走亲戚的车太多，把消防通道都堵了。": frozenset({1, 2}),
}
PROGRESS = [
    "已安排维修师傅上门查看。",
    "已联系厂家，配件明天到。",
    "已现场查看，正在协调处理。",
    "已与相关住户沟通，对方同意整改。",
    "施工队已进场。",
]
NOTES = [
    "该户上次也反映过类似问题，注意回访。",
    "费用需从公共收益中列支，待确认。",
    "已电话联系反映人，约定明天上午上门。",
]
RESOLUTIONS = [
    "已更换损坏部件，经测试恢复正常。",
    "已清理完毕，并安排每日巡查。",
    "双方已达成一致，问题解决。",
    "已修剪树枝，排除安全隐患。",
    "已排除故障，供水供暖恢复正常。",
]
# Which resolution fits which kind of issue (the first fits any other).
RESOLUTION_FOR = {
    Category.UTILITIES: 4,
    Category.SANITATION: 1,
    Category.SECURITY: 1,
    Category.OTHER: 1,
    Category.NEIGHBOUR_DISPUTE: 2,
    Category.NOISE: 2,
    Category.PARKING: 2,
    Category.FEES: 2,
    Category.COMPOUND_RULES: 2,
    Category.MAINTENANCE_FUND: 2,
    Category.RENOVATION: 2,
    Category.GREENERY: 3,
}
# Which updates fit which kind: a fitter's for what is mended, talks for what is agreed; the
# third fits anything.
_MENDED = frozenset({Category.REPAIR, Category.UTILITIES, Category.LIFT})
_AGREED = frozenset(
    {
        Category.NEIGHBOUR_DISPUTE,
        Category.NOISE,
        Category.PARKING,
        Category.FEES,
        Category.COMPOUND_RULES,
        Category.SECURITY,
    }
)


def resolution_for(category: Category) -> str:
    return RESOLUTIONS[RESOLUTION_FOR.get(category, 0)]


def progress_for(category: Category) -> list[str]:
    """The updates that fit a kind of issue."""
    if category in _MENDED:
        return [PROGRESS[0], PROGRESS[1], PROGRESS[2], PROGRESS[4]]
    if category in _AGREED:
        return [PROGRESS[2], PROGRESS[3]]
    return [PROGRESS[2]]


REJECTIONS = [
    "属于业主户内自有设施，请自行联系维修，物业可提供有偿服务。",
    "该问题属于市政供水管网，已告知您拨打12345热线。",
]

# How many cases of each kind of ending, per compound (about fifty).
PLAN = (
    [State.FILED] * 8
    + [State.ACCEPTED] * 5
    + [State.IN_PROGRESS] * 12
    + [State.WAITING] * 2
    + [State.RESOLVED] * 8
    + [State.CLOSED] * 8
    + [State.REJECTED] * 4
    + [State.MERGED] * 2
    + [State.WITHDRAWN] * 3
)
# The days back the cases above are filed over.
RECENT_DAYS = 60
# What a case waiting on the resident asks of them.
ASKS = [
    (Need.ACCESS, "师傅需要进屋查看，请告知这周哪天上午方便在家。"),
    (Need.PHOTO, "请拍一张问题处的照片发上来，方便我们准备配件。"),
]
COMMENTS = ["师傅很负责，谢谢！", "处理得很及时。", "总算修好了，希望以后多巡查。", ""]
NOT_SOLVED = ["修了两天又坏了，还是不行。", "问题还在，晚上依旧很吵。"]


def _residents(compound):
    return list(
        db.session.scalars(
            select(Person)
            .join(Home, Home.person_id == Person.id)
            .where(Home.compound_id == compound.id, Home.state == HomeState.VERIFIED)
            .order_by(Person.id)
        )
    )


def build_cases(compound, grid_worker, seed: int) -> int:
    rng = random.Random(seed)
    secretary = people_holding(compound.id, [Role.SECRETARY])[0]
    manager = people_holding(compound.id, [Role.PROPERTY_MANAGER])[0]
    workers = people_holding(compound.id, [Role.PROPERTY_STAFF]) + people_holding(
        compound.id, [Role.BRANCH_MEMBER]
    )
    residents = _residents(compound)
    start = now() - timedelta(days=RECENT_DAYS)
    made = []
    for n, ending in enumerate(PLAN):
        category, text, where, urgent = rng.choice(ISSUES)
        building = rng.choice(compound.buildings)
        moment = start + timedelta(days=RECENT_DAYS * n / len(PLAN), hours=rng.randint(7, 12))
        if ending in (State.FILED,):
            moment = now() - timedelta(
                hours=rng.randint(1, 40)
            )  # some still within, some past triage
        who = rng.random()
        with fixed(moment):
            if who < 0.7:
                case, _key = service.file_case(
                    compound,
                    building,
                    category=category,
                    description=text,
                    location=f"{building.name}{where}",
                    urgent=urgent,
                    contact_name="",
                    contact_phone="",
                    by=rng.choice(residents),
                )
            elif who < 0.85:
                case, _key = service.file_case(
                    compound,
                    building,
                    category=category,
                    description=text,
                    location=where,
                    urgent=urgent,
                    contact_name="张大爷",
                    contact_phone=f"1350000{rng.randint(1000, 9999)}",
                    by=grid_worker,
                )
            else:
                case, _key = service.file_case(
                    compound,
                    building,
                    category=category,
                    description=text,
                    location=where,
                    urgent=urgent,
                    contact_name="刘女士",
                    contact_phone=f"1360000{rng.randint(1000, 9999)}",
                )
        made.append(case)
        _walk(case, ending, moment, rng, secretary, manager, workers, made)
    return len(made)


def _walk(case, ending, moment, rng, secretary, manager, workers, made):
    later = moment

    def step(hours):
        nonlocal later
        later = later + timedelta(hours=hours)
        return fixed(later)

    if ending is State.FILED:
        return
    if ending is State.WITHDRAWN:
        if case.reporter is None:
            return
        with step(2):
            service.withdraw(case, case.reporter, version=case.version)
        return
    if ending is State.REJECTED:
        with step(rng.randint(1, 20)):
            service.reject(case, secretary, version=case.version, reason=rng.choice(REJECTIONS))
        return
    if ending is State.MERGED:
        # Into a case of the same kind filed before this one: no event before its case began.
        target = next(
            (
                c
                for c in made
                if c.category == case.category
                and c.id != case.id
                and c.state is not State.MERGED
                and c.created_at < case.created_at
            ),
            None,
        )
        with step(3):
            if target is None:
                service.reject(case, secretary, version=case.version, reason=rng.choice(REJECTIONS))
            else:
                service.merge(case, secretary, version=case.version, target_number=target.number)
        return
    rule = rule_for(case.category)
    assignee = (
        manager
        if rule.lead_party.value == "property" and rng.random() < 0.3
        else (rng.choice(workers))
    )
    with step(rng.randint(1, 20)):
        service.accept(
            case,
            secretary,
            version=case.version,
            category=case.category,
            priority=Priority.URGENT if case.urgent else Priority.NORMAL,
            lead_party=rule.lead_party,
            needs_consultation=rule.needs_consultation,
            assignee=None if ending is State.ACCEPTED else assignee,
        )
    if ending is State.ACCEPTED:
        return
    for _ in range(rng.randint(1, 3)):
        with step(rng.randint(4, 30)):
            body = rng.choice(progress_for(case.category))
            service.post_update(case, assignee, body=body, public=True)
    if ending is State.WAITING:
        need, ask = rng.choice(ASKS)
        with step(2):
            service.wait_on_resident(case, assignee, version=case.version, need=need, body=ask)
        return
    if rng.random() < 0.5:
        with step(2):
            service.post_update(case, secretary, body=rng.choice(NOTES), public=False)
    if ending in (State.RESOLVED, State.CLOSED):
        with step(rng.randint(4, 48)):
            service.resolve(
                case, assignee, version=case.version, body=resolution_for(case.category)
            )
    if ending is State.CLOSED and case.reporter is not None:
        if rng.random() < 0.25:  # 退回重办 once, then solved
            with step(rng.randint(6, 30)):
                feedback.give_feedback(
                    case,
                    case.reporter,
                    solved=False,
                    satisfaction=Satisfaction.DISSATISFIED,
                    comment=rng.choice(NOT_SOLVED),
                    source=Source.RESIDENT,
                )
            with step(rng.randint(10, 40)):
                service.resolve(
                    case, assignee, version=case.version, body=resolution_for(case.category)
                )
        with step(rng.randint(6, 30)):
            satisfaction = rng.choice([Satisfaction.SATISFIED] * 3 + [Satisfaction.BASICALLY])
            feedback.give_feedback(
                case,
                case.reporter,
                solved=True,
                satisfaction=satisfaction,
                comment=rng.choice(COMMENTS),
                source=Source.RESIDENT,
            )
