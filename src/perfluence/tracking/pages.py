"""The few fixed pages the redirect answers with, as ready-to-send bytes.

They never echo anything from the request (no slug, no query), so there is
nothing to escape and nothing to reflect.
"""

from __future__ import annotations

NOT_FOUND_HTML = b"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Link not found</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;
min-height:100vh;color:#222;background:#fafafa}
main{max-width:28rem;padding:2rem;text-align:center}
h1{font-size:1.4rem;margin:0 0 .5rem}
p{margin:0;color:#555}
</style>
</head>
<body>
<main>
<h1>This link is not available</h1>
<p>The link you followed does not exist or is no longer active.</p>
</main>
</body>
</html>
"""

METHOD_NOT_ALLOWED_TEXT = b"Method not allowed: tracking links answer GET and HEAD only.\n"
