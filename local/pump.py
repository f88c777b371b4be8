"""The SQS and stream pump and scheduler: what Lambda's pollers and EventBridge do, in one background thread.

For each SQS subscription it receives batches (never long-polling: the emulator serves one request at a
time), one batch at a time unless the event's ScalingConfig.MaximumConcurrency allows more, invokes the
function, deletes what succeeded and makes the rest visible again soon. With
`ReportBatchItemFailures` only the reported `batchItemFailures` are retried; a handler exception, or a
malformed failure report, retries the whole batch. Moto itself moves a message to the DLQ on the receive
after its `maxReceiveCount`-th, as SQS does. For FIFO queues moto holds back a message group while one
of its batches is in flight, so each group is processed in order, one batch at a time.

Each DynamoDB stream subscription reads its shards in order, one batch at a time (streams.py decides
what a batch is and what its outcome means; failed batches wait `retry_delay` before they are retried).

Retries are fast so that demos stay fast: a failed message becomes visible at once and its
subscription pauses for `retry_delay` seconds (SQS visibility is whole seconds).

Schedules fire on the runtime's clock: a `rate(...)` schedule fires when the clock passes its next
time. When the clock jumps ahead, the missed firings collapse into one (at the latest missed time),
which is what a billing run that looks at "now" needs and keeps a months-long jump quick.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from invoicing.adapters.clock import Clock
from local.streams import Batch, StreamCursor
from local.triggers import QueueSubscription, Schedule, sqs_event

Invoke = Callable[[str, Any], Any]
_QUEUE_COUNTS = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


class Pump:
    """Lambda's SQS pollers and EventBridge's scheduler for one stack, on a background thread."""

    def __init__(
        self,
        invoke: Invoke,
        sqs: Any,
        clock: Clock,
        subscriptions: list[QueueSubscription],
        schedules: list[Schedule],
        *,
        region: str,
        account_id: str,
        streams: list[StreamCursor] | None = None,
        retry_delay: float = 0.25,
        max_workers: int = 16,
        idle_interval: float = 0.2,
    ) -> None:
        self.subscriptions = subscriptions
        self.streams = list(streams or [])
        self.schedules = {schedule.name: schedule for schedule in schedules}
        self._invoke = invoke
        self._sqs = sqs
        self._clock = clock
        self._region = region
        self._account_id = account_id
        self._retry_delay = retry_delay
        self._idle_interval = idle_interval
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="pump")
        self._state = threading.Lock()
        self._in_flight = dict.fromkeys(range(len(subscriptions)), 0)
        self._paused_until = dict.fromkeys(range(len(subscriptions)), 0.0)
        self._stream_busy = dict.fromkeys(range(len(self.streams)), False)
        self._stream_paused_until = dict.fromkeys(range(len(self.streams)), 0.0)
        self._active = 0  # batches and scheduled invocations running
        self._activity = 0  # bumped whenever work starts or ends, so drain can tell nothing happened
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqs-pump", daemon=True)
        self._schedule_from(clock.now())

    def start(self) -> None:
        for cursor in self.streams:
            cursor.open()  # StartingPosition LATEST means from the moment the mapping exists
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)
        self._executor.shutdown(wait=True)

    def wake(self) -> None:
        """Poll now rather than after the idle back-off (called after every API invocation)."""
        self._wake.set()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every subscribed queue is empty, every stream read and nothing runs (True), or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.wake()
            with self._state:
                activity = self._activity
                busy = self._active > 0
            if not busy and not self._due() and self._queues_empty() and not self._streams_pending():
                with self._state:
                    if self._active == 0 and self._activity == activity:
                        return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def fire_schedule(self, name: str) -> Any:
        """Invoke a schedule's function now, whatever its expression; returns the handler's result."""
        schedule = self._schedule_named(name)
        return self._invoke(schedule.function, schedule.event(self._clock.now(), self._region, self._account_id))

    def reschedule(self) -> None:
        """Start every rate schedule's period from the clock's current time."""
        self._schedule_from(self._clock.now())

    def _schedule_named(self, name: str) -> Schedule:
        if name in self.schedules:
            return self.schedules[name]
        matches = [s for s in self.schedules.values() if name in (s.function, s.name.rpartition(".")[2])]
        if len(matches) != 1:
            raise KeyError(f"{name!r} names {len(matches)} schedules; use one of {sorted(self.schedules)}")
        return matches[0]

    def _schedule_from(self, now: datetime) -> None:
        for schedule in self.schedules.values():
            period = schedule.period
            schedule.next_fire = now + period if period and schedule.enabled else None

    def _run(self) -> None:
        idle_wait = 0.01
        while not self._stopping.is_set():
            self._wake.clear()
            worked = self._fire_due_schedules()
            for index, subscription in enumerate(self.subscriptions):
                worked = self._poll(index, subscription) or worked
            for index, cursor in enumerate(self.streams):
                worked = self._poll_stream(index, cursor) or worked
            if worked:
                idle_wait = 0.01
                continue
            self._wake.wait(idle_wait)
            idle_wait = min(idle_wait * 2, self._idle_interval)

    def _due(self) -> bool:
        now = self._clock.now()
        return any(s.next_fire is not None and s.next_fire <= now for s in self.schedules.values())

    def _fire_due_schedules(self) -> bool:
        now = self._clock.now()
        fired = False
        for schedule in self.schedules.values():
            period = schedule.period
            if schedule.next_fire is None or period is None or schedule.next_fire > now:
                continue
            fire_time = schedule.next_fire + ((now - schedule.next_fire) // period) * period
            schedule.next_fire = fire_time + period
            event = schedule.event(fire_time, self._region, self._account_id)
            self._start_work()
            self._executor.submit(self._run_schedule, schedule, event)
            fired = True
        return fired

    def _run_schedule(self, schedule: Schedule, event: Any) -> None:
        try:
            self._invoke(schedule.function, event)
        except Exception:
            print(f"[local] schedule {schedule.name} failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
        finally:
            self._end_work()

    def _poll(self, index: int, subscription: QueueSubscription) -> bool:
        with self._state:
            if self._in_flight[index] >= subscription.max_concurrency:
                return False
            if self._paused_until[index] > time.monotonic():
                return False
        try:
            messages = self._receive(subscription)
        except Exception as error:
            if not self._stopping.is_set():
                print(f"[local] receiving from {subscription.queue.name} failed: {error}", file=sys.stderr)
            return False
        if not messages:
            return False
        with self._state:
            self._in_flight[index] += 1
        self._start_work()
        self._executor.submit(self._deliver, index, subscription, messages)
        return True

    def _receive(self, subscription: QueueSubscription) -> list[dict[str, Any]]:
        """Up to BatchSize messages, in receives of at most 10 (the SQS limit) while they keep coming."""
        messages: list[dict[str, Any]] = []
        while len(messages) < subscription.batch_size:
            wanted = min(10, subscription.batch_size - len(messages))
            received = self._sqs.receive_message(
                QueueUrl=subscription.queue.url,
                MaxNumberOfMessages=wanted,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            if len(received) < wanted:
                break
        return messages

    def _deliver(self, index: int, subscription: QueueSubscription, messages: list[dict[str, Any]]) -> None:
        try:
            failed = self._failed_message_ids(subscription, messages)
            succeeded = [m for m in messages if m["MessageId"] not in failed]
            retried = [m for m in messages if m["MessageId"] in failed]
            url = subscription.queue.url
            for chunk in _chunks(succeeded):
                entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
                self._sqs.delete_message_batch(QueueUrl=url, Entries=entries)
            if retried:
                with self._state:
                    self._paused_until[index] = time.monotonic() + self._retry_delay
                for chunk in _chunks(retried):
                    entries = [
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                        for i, m in enumerate(chunk)
                    ]
                    self._sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
        except Exception:
            if not self._stopping.is_set():
                traceback.print_exc(file=sys.stderr)
        finally:
            with self._state:
                self._in_flight[index] -= 1
            self._end_work()

    def _failed_message_ids(self, subscription: QueueSubscription, messages: list[dict[str, Any]]) -> set[str]:
        every_id = {message["MessageId"] for message in messages}
        try:
            result = self._invoke(subscription.function, sqs_event(subscription, messages, self._region))
        except Exception:
            print(
                f"[local] {subscription.function} failed a batch of {len(messages)} from "
                f"{subscription.queue.name}; it will be retried:",
                file=sys.stderr,
            )
            traceback.print_exc(file=sys.stderr)
            return every_id
        if not subscription.report_failures or not isinstance(result, dict):
            return set()
        failures = result.get("batchItemFailures") or []
        reported = [failure.get("itemIdentifier") if isinstance(failure, dict) else None for failure in failures]
        if not all(isinstance(identifier, str) and identifier in every_id for identifier in reported):
            # Lambda treats a report naming unknown or empty identifiers as a failure of the whole batch.
            print(f"[local] {subscription.function}: invalid batchItemFailures {failures!r}", file=sys.stderr)
            return every_id
        return {str(identifier) for identifier in reported}

    def _poll_stream(self, index: int, cursor: StreamCursor) -> bool:
        """One batch per mapping at a time, so each shard is processed in order."""
        with self._state:
            if self._stream_busy[index] or self._stream_paused_until[index] > time.monotonic():
                return False
            self._stream_busy[index] = True
        try:
            batch, skipped = cursor.read()
        except Exception as error:
            with self._state:
                self._stream_busy[index] = False
            if not self._stopping.is_set():
                print(f"[local] reading {cursor.subscription.stream_arn} failed: {error}", file=sys.stderr)
            return False
        if batch is None:
            with self._state:
                self._stream_busy[index] = False
            return skipped
        self._start_work()
        self._executor.submit(self._deliver_stream, index, cursor, batch)
        return True

    def _deliver_stream(self, index: int, cursor: StreamCursor, batch: Batch) -> None:
        subscription = cursor.subscription
        try:
            result, error = None, None
            try:
                result = self._invoke(subscription.function, cursor.event(batch))
            except Exception as raised:
                error = raised
                print(
                    f"[local] {subscription.function} failed a batch of {len(batch.records)} stream records:",
                    file=sys.stderr,
                )
                traceback.print_exc(file=sys.stderr)
            outcome = cursor.settle(batch, result, error)
            if outcome.retry:
                with self._state:
                    self._stream_paused_until[index] = time.monotonic() + self._retry_delay
            if outcome.on_failure is not None and subscription.on_failure is not None:
                self._sqs.send_message(QueueUrl=subscription.on_failure.url, MessageBody=json.dumps(outcome.on_failure))
        except Exception:
            if not self._stopping.is_set():
                traceback.print_exc(file=sys.stderr)
        finally:
            with self._state:
                self._stream_busy[index] = False
            self._end_work()

    def _streams_pending(self) -> bool:
        return any(cursor.pending() for cursor in self.streams)

    def _queues_empty(self) -> bool:
        for url in dict.fromkeys(subscription.queue.url for subscription in self.subscriptions):
            attributes = self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=_QUEUE_COUNTS)["Attributes"]
            if any(int(attributes.get(name, 0)) for name in _QUEUE_COUNTS):
                return False
        return True

    def _start_work(self) -> None:
        with self._state:
            self._active += 1
            self._activity += 1

    def _end_work(self) -> None:
        with self._state:
            self._active -= 1
            self._activity += 1
        self.wake()


def _chunks(messages: list[dict[str, Any]], size: int = 10) -> list[list[dict[str, Any]]]:
    return [messages[i : i + size] for i in range(0, len(messages), size)]
