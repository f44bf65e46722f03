"""Tasks, events and reminders (DOMAIN.md "Tasks and schedule").

* ``task``: a to-do for its assignee (``assignee_id``, the owner for access), with
  participants (``task_participant``), an optional due time, priority, related record
  (``record_type``/``record_id``), snooze time, reminder time and recurrence.
* ``event``: a calendar entry organised by ``organizer_id``; every participant (the
  organiser too) has a row in ``event_attendee`` that repeats the event's start and end,
  so "my events today" and conflict checks read one index per user, whatever the size of
  the calendar.
* ``reminder``: one row per reminder delivered or being delivered (source, record,
  user, reminder time): ``crm remind`` claims a row with a conditional UPDATE before
  sending, so overlapping runs never send anything twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from crmcli.store.models.records import Contact, Customer, Lead
from crmcli.store.types import UTCDateTime


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_assignee_status_due", "assignee_id", "status", "due_at"),
        Index("ix_task_record", "record_type", "record_id"),
        Index("ix_task_remind_at", "remind_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default="open", max_length=8)  # open | done
    priority: str | None = Field(default=None, max_length=8)  # high | medium | low
    assignee_id: int = Field(foreign_key="user_account.id")
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    record_type: str | None = Field(default=None, max_length=32)
    record_id: int | None = None
    # recurrence: every N days/weeks/months from the due time ("every"), or N units after done ("after")
    recur_n: int | None = None
    recur_unit: str | None = Field(default=None, max_length=8)  # day | week | month
    recur_mode: str | None = Field(default=None, max_length=8)  # every | after
    series_id: int | None = None  # the first task of a recurring series
    followup_id: int | None = Field(default=None, foreign_key="followup.id")
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class TaskParticipant(SQLModel, table=True):
    __tablename__ = "task_participant"
    __table_args__ = (Index("ix_task_participant_user", "user_id"),)

    task_id: int = Field(foreign_key="task.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_record", "record_type", "record_id"),
        Index("ix_event_remind_at", "remind_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str | None = Field(default=None, sa_type=Text)
    start_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    end_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    all_day: bool = Field(default=False)
    location: str | None = Field(default=None, max_length=400)
    status: str = Field(default="scheduled", max_length=12)  # scheduled | cancelled
    cancel_reason: str | None = None
    organizer_id: int = Field(foreign_key="user_account.id")
    record_type: str | None = Field(default=None, max_length=32)
    record_id: int | None = None
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    sequence: int = Field(default=0)  # RFC 5545 SEQUENCE: bumped by every edit
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class EventAttendee(SQLModel, table=True):
    __tablename__ = "event_attendee"
    __table_args__ = (Index("ix_event_attendee_user_end", "user_id", "end_at"),)

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    start_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    end_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    active: bool = Field(default=True)  # false once the event is cancelled


class Reminder(SQLModel, table=True):
    """One reminder of one record for one user at one time: claimed, then sent (or released on failure)."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("source", "record_id", "user_id", "remind_at", name="uq_reminder_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)  # task | event | followup:lead | … | receivable …
    record_id: int
    user_id: int = Field(foreign_key="user_account.id")
    remind_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    claim: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    channel: str | None = Field(default=None, max_length=16)  # stdout | email
    attempts: int = Field(default=0)
    last_error: str | None = None


# "my follow-ups due" (crm today, crm remind) reads these: one range per owner, whatever the table's size
FOLLOWUP_INDEXES = (
    Index("ix_lead_owner_next_contact", Lead.owner_id, Lead.next_contact_at),
    Index("ix_customer_owner_next_contact", Customer.owner_id, Customer.next_contact_at),
    Index("ix_contact_owner_next_contact", Contact.owner_id, Contact.next_contact_at),
)
