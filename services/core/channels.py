"""Sales channels by their code: the one lookup the routes and services share."""

from sqlmodel import Session, col, select

from models.master import Channel


def by_code(session: Session, code: str, *, archived_too: bool = False) -> Channel | None:
    """The channel with this code (an archived one only when asked: it takes no new business)."""
    query = select(Channel).where(col(Channel.code) == code)
    if not archived_too:
        query = query.where(col(Channel.archived).is_(False))
    return session.exec(query).first()
