"""Identifier rules shared by bodies and paths (contract: 1-64 of A-Z a-z 0-9 _ - . :)."""

import re

ID_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
ID_RULE = "1-64 characters of A-Z a-z 0-9 _ - . :"
