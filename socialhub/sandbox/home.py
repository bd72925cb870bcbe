"""The sandbox's page for people (`GET /` in a browser, or `/_sandbox/`): platforms and
their host prefixes, seeded accounts, the sandbox clock, injected faults, counters and
settings, with the control API shown by example. Read-only: changing anything needs the
control API and its admin token, which this page never shows."""

from __future__ import annotations

import html
from typing import Any

from socialhub.sandbox.core import DEFAULT_CONFIG, PLATFORMS, Sandbox, default_app
from socialhub.sandbox.platform import PlatformModule

MAX_COUNTERS = 400

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1c1f24}
main{max-width:1080px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #dde;padding-bottom:4px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #eceef1;vertical-align:top}
th{background:#f0f2f5} code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
pre{background:#1e2430;color:#e8ebf0;padding:12px 14px;border-radius:8px;overflow:auto}
.muted{color:#666} .pill{display:inline-block;background:#e8eefc;border-radius:10px;padding:1px 8px;margin:1px}
"""

_EXAMPLES = """# every control call needs the sandbox admin token (SOCIALHUB_SANDBOX_ADMIN_TOKEN,
# or the file data/sandbox-admin.token written on first start)
SB={base}; AUTH="Authorization: Bearer $SOCIALHUB_SANDBOX_ADMIN_TOKEN"

# a token for a seeded account, without the browser
curl -s -H "$AUTH" -d '{{"platform":"x","account_id":"<id from the table above>"}}' $SB/_sandbox/tokens

# the next 2 calls to X's /2/tweets fail with X's own 429
curl -s -H "$AUTH" -d '{{"platform":"x","error":"rate_limited","count":2,"endpoint":"/2/tweets"}}' $SB/_sandbox/faults
# latency, an outage, or "response lost after accept" (the post is created, the answer never arrives)
curl -s -H "$AUTH" -d '{{"platform":"tiktok","kind":"latency","latency_ms":1500,"count":1}}' $SB/_sandbox/faults
curl -s -H "$AUTH" -d '{{"platform":"linkedin","kind":"lost","count":1,"endpoint":"/rest/posts"}}' $SB/_sandbox/faults
curl -s -H "$AUTH" -d '{{"down":true}}' $SB/_sandbox/platforms/youtube/down
curl -s -H "$AUTH" -X DELETE -d '{{}}' $SB/_sandbox/faults            # clear every fault

# platform-specific errors: facebook/instagram user_rate_limited (Graph #17), x usage_capped,
# tiktok spam_risk_too_many_posts, youtube upload_limit_exceeded
curl -s -H "$AUTH" -d '{{"platform":"x","error":"usage_capped","count":1}}' $SB/_sandbox/faults

# time, counters, settings, registered redirect URIs
curl -s -H "$AUTH" -d '{{"advance_seconds":86400}}' $SB/_sandbox/clock
curl -s -H "$AUTH" $SB/_sandbox/counters
curl -s -H "$AUTH" -d '{{"instagram.publish_quota_total":50}}' $SB/_sandbox/config
curl -s -H "$AUTH" -d '{{"platform":"tiktok","redirect_uri":"https://my.host/oauth/tiktok/callback"}}' $SB/_sandbox/redirect_uris
curl -s -H "$AUTH" -X POST $SB/_sandbox/reset                              # back to the seeded state
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> str:
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(sandbox: Sandbox, modules: list[PlatformModule], base_url: str = "http://127.0.0.1:8900") -> str:
    platform_rows, account_rows = [], []
    for module in modules:
        info = module.describe()
        platform_rows.append(
            [
                ", ".join(_e(p) for p in info["platforms"]),
                " ".join(f"<code>{_e(p)}</code>" for p in info["prefixes"]),
                " ".join(f'<span class="pill">{_e(f)}</span>' for f in sorted(module.fault_errors())),
            ]
        )
        for platform, accounts in info["accounts"].items():
            for acct in accounts:
                account_rows.append(
                    [
                        _e(platform),
                        f"<code>{_e(acct.get('id'))}</code>",
                        _e(acct.get("username", "")),
                        _e(acct.get("display_name", "")),
                    ]
                )
    fault_rows = [
        [
            _e(p),
            _e(f.kind),
            _e(f.error or ""),
            _e(f.endpoint or "any"),
            _e("until cleared" if f.remaining is None else f.remaining),
            _e("every call" if f.rate is None else f.rate),
            _e(f.latency_ms or ""),
        ]
        for p, faults in sandbox.faults.items()
        for f in faults
    ]
    counters = sorted(sandbox.counters().items())
    counter_rows = [[f"<code>{_e(k)}</code>", _e(v)] for k, v in counters[:MAX_COUNTERS]]
    config = sandbox.all_config()
    config_rows = [
        [f"<code>{_e(k)}</code>", _e(v), "" if v == DEFAULT_CONFIG[k] else "changed"]
        for k, v in config.items()
    ]
    redirect_rows = [
        [
            _e(p),
            "<br>".join(
                f"<code>{_e(u)}</code>" for u in sandbox.redirect_uris(p, default_app(p)["client_id"])
            )
            + f"<br><span class=muted>and http://127.0.0.1:&lt;port&gt;/oauth/{_e(p)}/callback</span>",
        ]
        for p in PLATFORMS
    ]
    down = ", ".join(sorted(sandbox.down)) or "none"
    more = (
        f'<p class="muted">{len(counters) - MAX_COUNTERS} more: GET /_sandbox/counters</p>'
        if len(counters) > MAX_COUNTERS
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>SocialHub platform sandbox</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style></head><body><main>
<h1>SocialHub platform sandbox</h1>
<p class="muted">Each platform's wire contract under <code>/&lt;real host&gt;/&lt;real path&gt;</code>:
<code>https://graph.facebook.com/v25.0/me</code> is served at <code>/graph.facebook.com/v25.0/me</code>.</p>
<h2>Clock</h2><p>Sandbox time: <strong>{_e(sandbox.now().isoformat())}</strong>
(moves with real time plus every <code>POST /_sandbox/clock</code>). Platforms down: {_e(down)}.</p>
<h2>Platforms</h2>{_table(["platforms", "host prefixes", "injectable errors"], platform_rows, "none")}
<h2>Seeded accounts</h2>{_table(["platform", "id", "username", "name"], account_rows, "none")}
<h2>Registered redirect URIs (built-in apps)</h2>{_table(["platform", "accepted redirect_uri"], redirect_rows, "none")}
<h2>Injected faults</h2>{_table(["platform", "kind", "error", "endpoint", "remaining", "rate", "latency ms"], fault_rows, "No fault is injected.")}
<h2>Counters</h2>{_table(["counter", "value"], counter_rows, "No call counted yet.")}{more}
<h2>Settings</h2>{_table(["key", "value", ""], config_rows, "none")}
<h2>Control API by example</h2><pre>{_e(_EXAMPLES.format(base=base_url))}</pre>
</main></body></html>"""
