"""The channel interface (channels/base.py) as the widget and Crisp implement it."""

from __future__ import annotations

import json
import uuid

import pytest

from frontdesk.channels.base import Inbound
from frontdesk.channels.crisp import service
from frontdesk.channels.crisp.channel import CrispChannel, CrispOrigin
from frontdesk.channels.widget.channel import WidgetChannel
from frontdesk.kit.errors import BadRequest, Forbidden, Unauthorized
from tests.fakes.crisp_server import message_event

TENANT = uuid.uuid4()


async def _tenant() -> uuid.UUID:
    return TENANT


def _widget_request(body: object, **headers: str) -> Inbound:
    return Inbound(
        body=json.dumps(body).encode(),
        headers={"origin": "https://shop.example/", **{k.lower(): v for k, v in headers.items()}},
        credentials=_tenant,
        client_ip="203.0.113.7",
    )


async def test_a_widget_request_is_one_turn_for_the_keys_tenant() -> None:
    widget = WidgetChannel()
    body = {"session_id": "visitor-1", "message": "Do you ship abroad?", "metadata": {"page": "/faq"}}
    origin = await widget.verify(_widget_request(body, **{"Idempotency-Key": "k-1"}))
    [turn] = widget.parse(origin)
    assert (turn.tenant_id, turn.channel, turn.session_key, turn.text) == (
        TENANT,
        "widget",
        "visitor-1",
        "Do you ship abroad?",
    )
    assert turn.metadata == {"page": "/faq"} and turn.visitor_ip == "203.0.113.7"
    assert origin.origin == "https://shop.example"
    # the client's retry of the same message carries the same key; another message another
    again = await widget.verify(_widget_request(body, **{"Idempotency-Key": "k-1"}))
    other = await widget.verify(_widget_request(body, **{"Idempotency-Key": "k-2"}))
    assert widget.parse(again)[0].idempotency_key == turn.idempotency_key
    assert widget.parse(other)[0].idempotency_key != turn.idempotency_key
    chat = turn.chat_input()
    assert (chat.session_id, chat.message, chat.channel, chat.visitor_ip) == (
        "visitor-1",
        "Do you ship abroad?",
        "widget",
        "203.0.113.7",
    )


async def test_the_widget_refuses_requests_without_a_page_a_key_or_a_chat_body() -> None:
    widget = WidgetChannel()
    body = {"session_id": "visitor-1", "message": "hi"}
    with pytest.raises(Forbidden):
        await widget.verify(Inbound(body=json.dumps(body).encode(), headers={}, credentials=_tenant))
    with pytest.raises(Unauthorized):
        await widget.verify(Inbound(body=json.dumps(body).encode(), headers={"origin": "https://a.example"}))
    for bad in (b"not json", json.dumps({"session_id": "bad id!", "message": "hi"}).encode()):
        with pytest.raises(BadRequest):
            await widget.verify(
                Inbound(body=bad, headers={"origin": "https://a.example"}, credentials=_tenant)
            )


def test_a_crisp_visitor_message_is_a_turn_keyed_on_crisps_fingerprint() -> None:
    crisp = CrispChannel(db=None, client=None)  # type: ignore[arg-type]  # parse does no I/O
    website = str(uuid.uuid4())
    connection = service.Connection(TENANT, website, "secret")
    hook = service.parse_event(message_event(website, "session-9", "Are you open?", fingerprint=42))
    [turn] = crisp.parse(CrispOrigin(connection, hook))
    assert (turn.channel, turn.session_key, turn.text, turn.idempotency_key) == (
        "crisp",
        "session-9",
        "Are you open?",
        "42",
    )
    assert turn.metadata == {"crisp": {"nickname": "visitor493603"}}
    # an operator's message, or another website's event, carries no chat turn
    operator = service.parse_event(message_event(website, "session-9", "Hi, Anna here", sender="operator"))
    assert crisp.parse(CrispOrigin(connection, operator)) == []
    elsewhere = service.parse_event(message_event(str(uuid.uuid4()), "session-9", "Hello"))
    assert crisp.parse(CrispOrigin(connection, elsewhere)) == []
