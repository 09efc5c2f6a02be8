"""Runs one entrypoint of a Python agent module for Pulse's local executor.

Reads {"module", "function", "params", "agent_path", "allow_sys_path"} as JSON on stdin, calls
module.function(**params) (awaiting it when it is a coroutine), and writes one line "__PULSE_RESULT__ <json>" to
stdout. Only modules whose file lies under agent_path may run, unless allow_sys_path is set: otherwise any task
could call, say, subprocess.getoutput with a command of its choosing. Anything the agent prints goes to stderr so
it cannot corrupt that line. On failure it writes "__PULSE_ERROR__ <json>" and exits with status 1.
"""

import asyncio
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback

RESULT = "__PULSE_RESULT__ "
ERROR = "__PULSE_ERROR__ "


def main() -> int:
    out = sys.stdout
    sys.stdout = sys.stderr
    request = json.load(sys.stdin)
    kind = "import"
    try:
        name = request["module"]
        agent_path = request.get("agent_path")
        if not request.get("allow_sys_path"):
            spec = importlib.util.find_spec(name) if agent_path else None
            origin = os.path.realpath(spec.origin) if spec and spec.origin else ""
            root = os.path.realpath(agent_path) + os.sep if agent_path else None
            if not root or not origin.startswith(root):
                raise ImportError(
                    f"module {name!r} is not an agent under LOCAL_AGENT_PATH"
                    + ("" if agent_path else " (LOCAL_AGENT_PATH is not set)")
                )
        module = importlib.import_module(name)
        kind = "lookup"
        if request["function"].startswith("_"):
            raise AttributeError(f"entrypoint {request['function']!r} is private")
        function = getattr(module, request["function"], None)
        if not callable(function):
            names = sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n)))
            raise AttributeError(
                f"module {request['module']!r} has no function {request['function']!r} (it has: {', '.join(names) or 'none'})"
            )
        kind = "run"
        result = function(**(request.get("params") or {}))
        if inspect.isawaitable(result):
            result = asyncio.run(_await(result))
        out.write(RESULT + json.dumps(result, default=str) + "\n")
        out.flush()
        return 0
    except Exception as error:  # noqa: BLE001 - every failure is reported to Pulse, not swallowed
        out.write(
            ERROR
            + json.dumps(
                {
                    "kind": kind,
                    "type": type(error).__name__,
                    "message": str(error),
                    "traceback": traceback.format_exc(limit=5),
                }
            )
            + "\n"
        )
        out.flush()
        return 1


async def _await(awaitable):
    return await awaitable


if __name__ == "__main__":
    sys.exit(main())
