"""One line from `acebridge forget`'s JSON (the demo prints it)."""
import json
import sys

d = json.load(sys.stdin)
files = ", ".join(f"{key} ({what['action']})" for key, what in d["files"]) or "none"
print(
    f"  {'would remove' if d['dry_run'] else 'removed'}: {len(d['store_records'])} CRM store record(s) "
    f"{d['store_records']}, {len(d['ledger_entries'])} ledger entr(ies) {d['ledger_entries']}; "
    f"files: {files}; {d['old_versions']} old object version(s)"
)
