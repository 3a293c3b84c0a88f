"""A stand-in Chalice app with one function of every kind the stack wires: an HTTP route, a
schedule and an SQS consumer of the import queue. tests/infra synthesises the real stack against
it, so the generic wiring (DLQs, roles, alarms, queue timeout) is tested whatever app.py holds."""

import os

from chalice import Chalice

app = Chalice(app_name="tawasul")


@app.route("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/things", methods=["POST"])
def create_thing() -> dict[str, str]:
    return {}


@app.schedule("rate(5 minutes)")
def every_five_minutes(event: object) -> None:
    return None


@app.on_sqs_message(queue=os.environ["TAWASUL_IMPORT_QUEUE"], batch_size=1)
def import_worker(event: object) -> None:
    return None
