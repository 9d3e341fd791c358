"""Demo consultations: one held (signed and dissented resolutions, action items under way) and
one upcoming in each compound, made through the same services people use."""

from datetime import timedelta

from portal.accounts.roles import Role
from portal.accounts.service import people_holding
from portal.clock import fixed, local_date, now
from portal.consultation import queries, service
from portal.consultation.models import Decision, Mode
from portal.organisation.models import PartyKind


def _first(compound, role):
    found = people_holding(compound.id, [role])
    return found[0] if found else None


def build_consultations(compound) -> None:
    secretary = _first(compound, Role.SECRETARY)
    manager = _first(compound, Role.PROPERTY_MANAGER)
    staff = _first(compound, Role.PROPERTY_STAFF)
    rep = _first(compound, Role.REPRESENTATIVE)
    met = now() - timedelta(days=10)
    # Cases accepted before the meeting was convened: no event before its case began.
    held_cases = [
        c
        for c in queries.agenda_candidates(compound, limit=50)
        if c.accepted_at is not None and c.accepted_at < met - timedelta(days=3)
    ][:2]
    if len(held_cases) < 2:
        return
    with fixed(met - timedelta(days=3)):
        held = service.convene(
            compound,
            secretary,
            title="停车与公共维修三方协商会",
            mode=Mode.IN_PERSON,
            case_list=held_cases,
            starts_at=met,
            place="小区党群服务站会议室",
        )
    with fixed(met):
        for party, names in (
            (PartyKind.BRANCH, secretary.name),
            (PartyKind.PROPERTY, manager.name),
            (PartyKind.RESIDENTS, rep.name),
        ):
            service.record_attendance(held, secretary, party=party, present=True, attendees=names)
        opinions = {
            PartyKind.BRANCH: "建议先解决安全隐患，费用问题分步协商。",
            PartyKind.PROPERTY: "物业可以先行组织施工，费用需业主共同承担。",
            PartyKind.RESIDENTS: "多数住户同意，但希望公开费用明细。",
        }
        people = {
            PartyKind.BRANCH: secretary,
            PartyKind.PROPERTY: manager,
            PartyKind.RESIDENTS: rep,
        }
        for item in held.items:
            for party, body in opinions.items():
                service.post_opinion(item, people[party], party=party, body=body)
        first, second = held.items
        due = local_date() + timedelta(days=14)
        signed = service.draft_resolution(
            first,
            secretary,
            text="物业在两周内完成整改，费用从公共收益中列支，居民代表负责向住户公示费用明细。",
            actions=[
                {
                    "party": PartyKind.PROPERTY,
                    "assignee": staff,
                    "description": "组织施工整改",
                    "due_on": due,
                },
                {
                    "party": PartyKind.RESIDENTS,
                    "assignee": rep,
                    "description": "公示费用明细",
                    # Due five days after the meeting, and overdue now: never before it.
                    "due_on": local_date() + timedelta(days=5),
                },
            ],
        )
        for party, person in people.items():
            service.sign(signed, person, party=party, decision=Decision.SIGN)
        dissented = service.draft_resolution(
            second,
            secretary,
            text="申请使用维修资金，按面积分摊。",
            actions=[
                {
                    "party": PartyKind.PROPERTY,
                    "assignee": manager,
                    "description": "出具维修预算",
                    "due_on": due,
                }
            ],
        )
        service.sign(dissented, secretary, party=PartyKind.BRANCH, decision=Decision.SIGN)
        service.sign(
            dissented,
            manager,
            party=PartyKind.PROPERTY,
            decision=Decision.DISSENT,
            reason="预算尚未经业主大会表决，物业不能先行垫付。",
        )
        service.conclude(held, secretary)
    upcoming_cases = queries.agenda_candidates(compound, limit=1)
    if upcoming_cases:
        service.convene(
            compound,
            secretary,
            title="关于楼道堆物整治的线上协商",
            mode=Mode.ONLINE,
            case_list=upcoming_cases,
            window_days=7,
        )
