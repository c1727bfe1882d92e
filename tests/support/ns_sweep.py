"""Run ICMP sweeps in this process and print JSON; tests start it inside a namespace.

Argument: one JSON object with ``addresses`` and optionally ``count``,
``interval``, ``timeout_s``, ``mode`` ("auto", "privileged", "unprivileged"),
``also`` (addresses of a second sweep run at the same time) and ``nofile``
(a soft fd limit to set first).
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

from checks.icmp import detect_mode, sweep


async def main(opts: dict) -> dict:
    mode = detect_mode()
    privileged = (
        mode.privileged if opts.get("mode", "auto") == "auto" else (opts["mode"] == "privileged")
    )
    kw = {
        "count": opts.get("count", 1),
        "interval": opts.get("interval", 0.2),
        "timeout_s": opts.get("timeout_s", 1.0),
        "privileged": privileged,
    }
    sweeps = [sweep(opts["addresses"], **kw)]
    if opts.get("also"):
        sweeps.append(sweep(opts["also"], **kw))
    done = await asyncio.gather(*sweeps)
    out = {
        "mode": mode.name,
        "fell_back": mode.fell_back,
        "privileged": privileged,
        "results": {a: s.summary() | {"kernel": s.kernel_timestamps} for a, s in done[0].items()},
    }
    if len(done) > 1:
        out["also"] = {a: s.summary() for a, s in done[1].items()}
    return out


if __name__ == "__main__":
    options = json.loads(sys.argv[1])
    if "nofile" in options:
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (options["nofile"], hard))
    print(json.dumps(asyncio.run(main(options))))
