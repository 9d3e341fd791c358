"""A case from filing to resolution through the test client: what people see, what is stored."""

import io

from PIL import Image
from sqlalchemy import select

from portal.accounts.roles import Role
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from tests import factories
from tests.conftest import texts


def jpeg(size=(64, 48), exif=True) -> io.BytesIO:
    image = Image.new("RGB", size, "orange")
    out = io.BytesIO()
    extra = {}
    if exif:
        info = Image.Exif()
        info[0x010F] = "PhoneMaker"  # Make
        info[0x8825] = {2: (31.0, 14.0, 0.0)}  # a GPS block
        extra["exif"] = info.tobytes()
    image.save(out, "JPEG", **extra)
    out.seek(0)
    return out


def file_case(client, world, **changes):
    building = next(b for b in world.ymn.buildings if b.code == "2")
    data = {
        "building": str(building.id),
        "category": "lift",
        "description": "电梯困人，按钮失灵",
        "location": "2单元",
        "contact_name": "王阿姨",
        "contact_phone": "13712345678",
        "privacy": "y",
    }
    data.update(changes)
    return client.post("/c/ymn/report", data=data, content_type="multipart/form-data")


def the_case():
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


def test_resident_files_a_case_and_gets_a_number(client, world, login):
    resident = factories.resident(world.ymn, name="王阿姨")
    login(resident)
    response = file_case(client, world, photos=[(jpeg(), "lift.jpg")])
    assert response.status_code == 302, texts(response)
    case = the_case()
    assert response.headers["Location"] == f"/cases/{case.number}/receipt"
    assert case.number.startswith("ymn-") and case.number.endswith("-0001")
    assert case.reporter_id == resident.id and case.contact_phone == resident.phone
    page = texts(client.get(response.headers["Location"]))
    assert case.number in page
    assert len(case.photos) == 1


def test_full_journey_visible_to_the_resident(client, world, login):
    resident = factories.resident(world.ymn, name="王阿姨")
    secretary = factories.member(Role.SECRETARY, world.ymn, name="李书记")
    manager = factories.member(Role.PROPERTY_MANAGER, world.ymn, name="赵经理")
    staff = factories.member(Role.PROPERTY_STAFF, world.ymn, name="孙师傅")
    login(resident)
    file_case(client, world)
    case = the_case()
    client.post("/logout")

    login(secretary)
    queue = texts(client.get("/c/ymn/cases"))
    assert case.number in queue
    response = client.post(
        f"/cases/{case.number}/accept",
        data={
            "version": case.version,
            "category": "lift",
            "priority": "urgent",
            "lead_party": "property",
            "assignee": staff.id,
        },
    )
    assert response.status_code == 302, texts(response)
    db.session.expire_all()
    assert the_case().state == State.IN_PROGRESS and the_case().assignee_id == staff.id
    client.post("/logout")

    login(manager)
    client.post(
        f"/cases/{case.number}/updates", data={"body": "维修工已到场", "visibility": "public"}
    )
    client.post(
        f"/cases/{case.number}/updates", data={"body": "配件需从厂家调货", "visibility": "internal"}
    )
    response = client.post(
        f"/cases/{case.number}/resolve",
        data={"version": the_case().version, "body": "更换了按钮面板"},
    )
    assert response.status_code == 302, texts(response)
    client.post("/logout")

    login(resident)
    page = texts(client.get(f"/cases/{case.number}"))
    assert "维修工已到场" in page and "更换了按钮面板" in page
    assert "配件需从厂家调货" not in page
    assert "已办结" in page
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [e.action for e in events] == ["file", "accept", "assign", "progress", "note", "resolve"]
