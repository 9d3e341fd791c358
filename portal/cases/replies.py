"""Reply templates (常用回复): the replies the case work writes often, kept by a compound's
secretary for that compound and by a community's overseers for all its compounds, each for one
category or for any. On a case page they are offered by the update and the rejection forms, and
what is inserted is edited there before it is posted: a template never posts anything itself."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal import permissions
from portal.cases.categories import Category
from portal.cases.models import Case, ReplyTemplate
from portal.errors import Invalid, NotAllowed
from portal.extensions import db
from portal.organisation.models import Community, Compound

TITLE_LENGTH = 50
NOT_YOURS = _l("Only the secretary keeps a compound's replies, and its overseers a community's.")
BODY_LENGTH = 1000


def _owned_by(owner):
    if isinstance(owner, Compound):
        return ReplyTemplate.compound_id == owner.id
    return ReplyTemplate.community_id == owner.id


def kept_by(owner) -> list[ReplyTemplate]:
    """A compound's or a community's templates, by category (any first), then title."""
    return list(
        db.session.scalars(
            select(ReplyTemplate)
            .where(_owned_by(owner))
            .order_by(
                ReplyTemplate.category.is_not(None), ReplyTemplate.category, ReplyTemplate.title
            )
        )
    )


def by_id(template_id: int) -> ReplyTemplate | None:
    return db.session.get(ReplyTemplate, template_id)


def usable_for(case: Case) -> list[ReplyTemplate]:
    """What a case's forms offer: its compound's templates and its community's, for its category
    or for any; the compound's first, and the category's before the general ones."""
    return sorted(
        db.session.scalars(
            select(ReplyTemplate).where(
                or_(
                    ReplyTemplate.compound_id == case.compound_id,
                    ReplyTemplate.community_id == case.compound.community_id,
                ),
                or_(ReplyTemplate.category.is_(None), ReplyTemplate.category == case.category),
            )
        ),
        key=lambda t: (t.compound_id is None, t.category is None, t.title, t.id),
    )


def usable_one(case: Case, template_id) -> ReplyTemplate | None:
    """The template of that id if the case's forms offer it; None otherwise."""
    return next((t for t in usable_for(case) if str(t.id) == str(template_id)), None)


def save(
    owner: Compound | Community,
    by,
    *,
    title: str,
    body: str,
    category: Category | None,
    template: ReplyTemplate | None = None,
) -> ReplyTemplate:
    """A new template of `owner`'s, or `template` changed."""
    if not permissions.can(by, "keep_replies", owner):
        raise NotAllowed(NOT_YOURS)
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise Invalid(_l("Give the reply a short title."))
    if not body:
        raise Invalid(_l("Write the reply."))
    if len(title) > TITLE_LENGTH or len(body) > BODY_LENGTH:
        raise Invalid(_l("The reply is too long."))
    if template is None:
        template = ReplyTemplate()
        if isinstance(owner, Compound):
            template.compound_id = owner.id
        else:
            template.community_id = owner.id
        db.session.add(template)
    template.title, template.body, template.category = title, body, category
    template.updated_by_id = by.id
    db.session.commit()
    return template


def delete(template: ReplyTemplate, by) -> None:
    if not permissions.can(by, "keep_replies", template.owner):
        raise NotAllowed(NOT_YOURS)
    db.session.delete(template)
    db.session.commit()
