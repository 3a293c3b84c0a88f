"""The local stack: moto server as DynamoDB/S3/SES/SNS/SQS, the tables, and `chalice local`.

    python -m scripts.local_stack run   [--host 127.0.0.1] [--port 8000] [--moto-port 5000]
    python -m scripts.local_stack jobs  # run every scheduled job once against the running stack

If ``AWS_ENDPOINT_URL`` is already set (another DynamoDB-compatible server, or real AWS when set
to nothing and credentials exist) moto is not started. Everything runs in this one process, so
Ctrl-C (or SIGTERM) stops all of it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCAL_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_EC2_METADATA_DISABLED": "true",
    "TAWASUL_STAGE": "local",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

# Not under "tawasul": Chalice sets its app logger ("tawasul") to ERROR, which silenced these lines.
log = logging.getLogger("local_stack")


def _prepare_env(moto_port: int) -> None:
    for key, value in LOCAL_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("AWS_ENDPOINT_URL", f"http://127.0.0.1:{moto_port}")


def start_moto(host: str, port: int) -> Any:
    from moto.server import ThreadedMotoServer

    from scripts import moto_shim

    moto_shim.apply()  # transactions roll back per item instead of copying whole tables
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


def provision() -> None:
    """Create the tables (and buckets) from the one schema definition; existing ones are kept."""
    import boto3

    from chalicelib.config import environment
    from chalicelib.persistence.schema import MAIN, TABLES

    settings = environment()
    ddb = boto3.client("dynamodb")
    existing = set(ddb.list_tables()["TableNames"])
    for table in TABLES:
        name = settings.table_name if table.logical_name == MAIN else settings.idempotency_table_name
        if name not in existing:
            ddb.create_table(**table.create_table_kwargs(name))
            if table.ttl_attribute:
                _enable_ttl(ddb, name, table.ttl_attribute)
            log.info("created table %s", name)
    s3 = boto3.client("s3")
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if settings.uploads_bucket not in buckets:
        s3.create_bucket(Bucket=settings.uploads_bucket)
    provision_import_queue(settings.uploads_bucket, settings.import_queue)


def _enable_ttl(ddb: Any, table: str, attribute: str) -> None:
    """TTL where the server has it; some DynamoDB-compatible servers (dynalite) do not, and local
    data then simply does not expire."""
    from botocore.exceptions import ClientError

    try:
        ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "UnknownOperationException":
            raise
        log.warning("%s: this DynamoDB server has no TTL; expired items stay", table)


def provision_import_queue(bucket: str, queue: str) -> str:
    """The import queue and the bucket notification feeding it (what infra/ does in the cloud)."""
    import boto3

    from chalicelib.persistence.keys import UPLOADS_PREFIX

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOADS_PREFIX}]}},
                }
            ]
        },
    )
    return str(url)


def poll_import_queue(wait_seconds: int = 1) -> int:
    """Deliver waiting work-queue messages (imports, erasures) to the worker, as the SQS event source would."""
    import boto3

    from chalicelib.config import environment
    from chalicelib.jobs import handle_work_message

    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=environment().import_queue)["QueueUrl"]
    handled = 0
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_seconds).get(
        "Messages", []
    ):
        handle_work_message(message["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        handled += 1
    return handled


def run_jobs_once() -> dict[str, Any]:
    from chalicelib.jobs import JOBS, run_job

    results = {}
    for name, job in JOBS.items():
        results[name] = run_job(job)
        log.info("job %s: %s", name, results[name])
    return results


def _job_loop(stop: threading.Event) -> None:
    """Run each job on its rate, as EventBridge schedules would in the cloud, and feed the work
    queue (imports, erasures) to its worker, as the SQS event source mapping would."""
    from chalicelib.jobs import JOBS, run_job

    last: dict[str, float] = {}
    while not stop.wait(1):
        try:
            while not stop.is_set() and poll_import_queue(wait_seconds=0):  # uploads and erasures end to end
                pass
        except Exception:
            if stop.is_set():
                return  # moto may already be gone: nothing to report while stopping
            log.exception("work queue poll failed")
        for name, job in JOBS.items():
            if stop.is_set():
                return
            if time.monotonic() - last.get(name, 0.0) >= job.rate_minutes * 60:
                last[name] = time.monotonic()
                try:
                    run_job(job)
                except Exception:  # a failing job must not stop the server; it is logged
                    if stop.is_set():
                        return
                    log.exception("job %s failed", name)


class _StopRequest:
    """Set by SIGTERM/SIGINT. The handler only flips a flag: it neither raises (a KeyboardInterrupt
    raised between two startup steps, or inside ``shutdown()``, used to leave the server waiting for
    a second signal) nor takes a lock (an ``Event.set`` in a handler can deadlock the thread it
    interrupts). The main thread polls it."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self, signum: int, frame: Any) -> None:
        self.signal = signum

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self)
        signal.signal(signal.SIGINT, self)

    def wait(self, poll_seconds: float = 0.2) -> None:
        while not self.requested:
            time.sleep(poll_seconds)


JOB_STOP_SECONDS = 10  # a job still running after this is abandoned (its thread is a daemon)


def serve(host: str, port: int, moto_port: int) -> None:
    """Run until SIGTERM or SIGINT (Ctrl-C); the first one stops everything cleanly, even while
    starting up. The HTTP server runs in its own thread so that ``shutdown()`` is called, as it
    must be, from another thread than the one serving."""
    stop_request = _StopRequest()
    stop_request.install()
    moto = None
    server = None
    jobs_stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        if "AWS_ENDPOINT_URL" not in os.environ:
            moto = start_moto("127.0.0.1", moto_port)
            log.info("moto server (DynamoDB, S3, SES, SNS, SQS) on http://127.0.0.1:%d", moto_port)
        _prepare_env(moto_port)
        if stop_request.requested:
            return

        from chalice.cli.factory import CLIFactory
        from chalice.local import create_local_server

        factory = CLIFactory(project_dir=str(ROOT), environ=os.environ)
        config = factory.create_config_obj(chalice_stage_name="local")
        os.environ.update(config.environment_variables)
        provision()
        if stop_request.requested:
            return
        server = create_local_server(config.chalice_app, config, host, port)
        from scripts.local_gateway import answer_unknown_routes_with_problems

        answer_unknown_routes_with_problems(server, config.chalice_app, config)  # 404 problem, as in the cloud
        threads = [
            threading.Thread(target=server.serve_forever, daemon=True, name="http"),
            threading.Thread(target=_job_loop, args=(jobs_stop,), daemon=True, name="jobs"),
        ]
        for thread in threads:
            thread.start()
        log.info("Tawasul API on http://%s:%d (Ctrl-C stops everything)", host, port)
        stop_request.wait()
    finally:
        if stop_request.requested:
            log.info("stopping (%s)", signal.Signals(stop_request.signal).name)  # type: ignore[arg-type]
        jobs_stop.set()
        if server is not None:
            server.shutdown()  # returns once serve_forever has finished its current poll
            server.server.server_close()
        for thread in threads:
            thread.join(timeout=JOB_STOP_SECONDS)
        if moto is not None:
            moto.stop()
        log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run", "jobs", "provision"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "5000")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    sys.path.insert(0, str(ROOT))
    if args.command == "run":
        serve(args.host, args.port, args.moto_port)
        # Everything the stack held lived in this process and has been stopped. Skip the
        # interpreter's teardown of a heap full of moto objects (seconds under load).
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    else:
        _prepare_env(args.moto_port)
        from chalice.cli.factory import CLIFactory

        config = CLIFactory(project_dir=str(ROOT), environ=os.environ).create_config_obj(chalice_stage_name="local")
        os.environ.update(config.environment_variables)
        if args.command == "provision":
            provision()
        else:
            run_jobs_once()
    return 0


if __name__ == "__main__":
    sys.exit(main())
