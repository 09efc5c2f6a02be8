"""A sample agent for the local executor: a Python module under LOCAL_AGENT_PATH.

Pulse runs it in a child python3 and calls the entrypoint with the task's params as keyword arguments:

    {"schedule_type": "run_agent", "payload": {"agent_id": "word_stats", "entrypoint_tag": "count",
     "params": {"text": "the quick brown fox"}}}
"""


def count(text: str = "", top: int = 3) -> dict:
    """Counts the words of `text` and returns the `top` most frequent ones."""
    words = [w.strip(".,;:!?").lower() for w in text.split()]
    words = [w for w in words if w]
    freq: dict[str, int] = {}
    for word in words:
        freq[word] = freq.get(word, 0) + 1
    common = sorted(freq.items(), key=lambda item: (-item[1], item[0]))[:top]
    return {"words": len(words), "distinct": len(freq), "top": [w for w, _ in common]}


async def shout(text: str = "") -> dict:
    """An async entrypoint: Pulse awaits it."""
    return {"upper": text.upper()}
