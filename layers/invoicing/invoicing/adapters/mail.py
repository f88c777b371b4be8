"""Mailers (the `Mailer` port): SES, `.eml` files in a folder (what a person opens locally), and a
mailer that sends through one and keeps a copy with another. Which one a function gets is its
composition root's choice, from its settings (invoicing/bootstrap/sending.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from invoicing.services.ports import Mailer, OutgoingEmail

_TAG_VALUE = re.compile(r"[^A-Za-z0-9_.@-]")


class SesMailer:
    """SES v2 `SendEmail` with the raw MIME message, the message tags (they come back in bounce and
    complaint notifications) and the configuration set that publishes those notifications to SNS."""

    def __init__(self, client: Any, *, configuration_set: str | None) -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, email: OutgoingEmail) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": email.sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {"Raw": {"Data": email.raw}},
            # SES tag values: letters, digits, _ - . @ only.
            "EmailTags": [{"Name": name, "Value": _TAG_VALUE.sub("_", value)[:256]}
                          for name, value in sorted(email.tags.items())],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return str(self._client.send_email(**request)["MessageId"])


class EmlDirectoryMailer:
    """Writes each message as `<name>.eml` into a folder (a mail client opens it); the message id is
    the file's name. Writing the same message again replaces the file with the same bytes."""

    def __init__(self, directory: str | Path) -> None:
        self._directory = Path(directory)

    def send(self, email: OutgoingEmail) -> str:
        self._directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", email.name)[:150]
        path = self._directory / f"{name}.eml"
        path.write_bytes(email.raw)
        return f"eml:{path.name}"


class CopyingMailer:
    """Sends with `primary` (its message id is the answer), then keeps a copy with `copy`."""

    def __init__(self, primary: Mailer, copy: Mailer) -> None:
        self._primary = primary
        self._copy = copy

    def send(self, email: OutgoingEmail) -> str:
        message_id = self._primary.send(email)
        self._copy.send(email)
        return message_id
