"""/openapi.json as outside tools see it, served by the real local stack:

- ``@redocly/cli lint`` (the recommended rules) reports no errors;
- a TypeScript client (types from ``openapi-typescript``, calls through ``openapi-fetch``) builds
  and round-trips every operation: this test writes one typed call per entry of
  ``tests/openapi/examples.py`` into a .ts file, ``tsc`` type-checks it against the generated types
  (strict: an example that breaks a documented type, enum or required field fails here) and
  compiles it, and node runs it against the stack; every response must have the documented status
  and match its schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import jwt
from openapi_schema_validator import OAS31Validator

from tests.openapi.examples import EXAMPLES, ROLE, USER, Example, missing_examples, operations, success_status
from tests.smoke.test_local_stack import SECRET

QUIET = {"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1"}


def _run(args: list[str], cwd: Path, timeout: int = 300) -> str:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **QUIET})
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)}\n{output[-6000:]}"
    return done.stdout


def test_redocly_lint_reports_no_errors(npm_tools, served_document, tmp_path):
    (tmp_path / "openapi.json").write_text(json.dumps(served_document, ensure_ascii=False), encoding="utf-8")
    report = _run([str(npm_tools / "redocly"), "lint", "openapi.json", "--format=json"], tmp_path)
    problems = json.loads(report[report.index("{") :])["problems"]
    errors = [p for p in problems if p["severity"] == "error"]
    assert errors == [], json.dumps(errors, indent=1)[:6000]


def _ts(value: Any) -> str:
    """A TypeScript expression for an example value; "{name}" reads what an earlier call saved."""
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and " " not in value:
        return f"saved[{json.dumps(value[1:-1])}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_ts(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_ts(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _call(operation_id: str, example: Example, method: str, path: str, operation: dict[str, Any]) -> str:
    params: dict[str, str] = {}
    path_names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
    if path_names:
        values = {name: example.path.get(name, f"{{{name}}}") for name in path_names}
        params["path"] = _ts(values)
    if example.query:
        params["query"] = _ts(example.query)
    init = []
    if params:
        init.append("params: {" + ", ".join(f"{k}: {v}" for k, v in params.items()) + "}")
    if isinstance(example.body, bytes):  # a CSV file, sent as it is
        init += [
            f"body: {json.dumps(example.body.decode('utf-8'), ensure_ascii=False)}",
            "bodySerializer: (csv: string) => csv",
            'headers: {"Content-Type": "text/csv"}',
        ]
    elif example.body is not None:
        init.append(f"body: {_ts(example.body)}")
    saves = "".join(f"    saved[{json.dumps(k)}] = pick(r.data, {json.dumps(v)});\n" for k, v in example.save.items())
    options = ", {" + ", ".join(init) + "}" if init else ""
    return (
        "{\n"
        f"    const r = await client.{method}({json.dumps(path)}{options});\n"
        f"    record({json.dumps(operation_id)}, r.response, r.data ?? r.error ?? null);\n"
        f"{saves}"
        "}\n"
    )


PRELUDE = """\
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

declare const process: { argv: string[] };
const [baseUrl, token] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
const saved: Record<string, any> = {};
const results: { operation: string; status: number; contentType: string | null; body: unknown }[] = [];

function record(operation: string, response: Response, body: unknown): void {
    results.push({ operation, status: response.status, contentType: response.headers.get("content-type"), body });
}

function pick(body: unknown, dotted: string): unknown {
    return dotted.split(".").reduce((value: any, key) => value?.[key], body);
}

"""

TSCONFIG = {
    "compilerOptions": {
        "target": "es2022",
        "module": "nodenext",
        "moduleResolution": "nodenext",
        "lib": ["es2022", "dom"],
        "strict": True,
        "noEmitOnError": True,
        "skipLibCheck": False,
        "outDir": "out",
    },
    "files": ["roundtrip.ts", "schema.d.ts"],
}


def test_a_typescript_client_builds_and_round_trips_every_operation(npm_tools, served_document, stack, tmp_path):
    assert missing_examples(served_document) == [], "add a line per operation to tests/openapi/examples.py"
    ops = operations(served_document)
    (tmp_path / "openapi.json").write_text(json.dumps(served_document, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "package.json").write_text('{"type": "module"}', encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(npm_tools.parent)
    _run([str(npm_tools / "openapi-typescript"), "openapi.json", "-o", "schema.d.ts"], tmp_path)
    calls = [_call(op, example, *ops[op][:2], ops[op][2]) for op, example in EXAMPLES]
    script = PRELUDE + "".join(calls) + "console.log(JSON.stringify(results));\n"
    (tmp_path / "roundtrip.ts").write_text(script, encoding="utf-8")
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG), encoding="utf-8")
    _run([str(npm_tools / "tsc"), "-p", "tsconfig.json"], tmp_path)  # type-checks every call, then emits

    token = jwt.encode({"sub": USER, "org": "roundtrip", "role": ROLE, "exp": int(time.time()) + 600}, SECRET, "HS256")
    results = json.loads(_run(["node", "out/roundtrip.js", stack, token], tmp_path, timeout=240))
    assert [r["operation"] for r in results] == [op for op, _ in EXAMPLES]
    for result in results:
        method, path, operation = ops[result["operation"]]
        label = f"{result['operation']} ({method} {path})"
        status = success_status(operation)
        assert result["status"] == status, (label, result["body"])
        content = operation["responses"][str(status)].get("content")
        if content is None:
            assert result["body"] is None, label
            continue
        assert (result["contentType"] or "").startswith("application/json"), label
        schema = {**content["application/json"]["schema"], "components": served_document["components"]}
        OAS31Validator(schema, format_checker=OAS31Validator.FORMAT_CHECKER).validate(result["body"])
