"""A sample agent served over HTTP by `runagent serve` (RunAgent's local server), which Pulse's local executor
calls when a task names `agent_host`/`agent_port`. Entrypoints are declared in runagent.config.json."""


def echo(**kwargs):
    """Returns the task's params, so you can see them arrive."""
    return {"echo": kwargs}


def stream(words=("Pulse", "ran", "this", "agent")):
    """A streaming entrypoint (its tag ends in _stream): Pulse collects the chunks."""
    for word in words:
        yield word
