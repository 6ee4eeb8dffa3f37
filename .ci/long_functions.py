#!/usr/bin/env python3
"""Lists Rust functions over 70 lines (the house limit), outside `#[cfg(test)]` modules,
`#[test]` functions and tests/ and benches/ folders. Usage: .ci/long_functions.py [DIR...] (default: .)."""
import re, sys, pathlib
limit = 70
roots = sys.argv[1:] or ["."]
found = 0
fn_re = re.compile(r'^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)')
for root in roots:
    for path in sorted(pathlib.Path(root).rglob("*.rs")):
        if "target" in path.parts or "tests" in path.parts or "benches" in path.parts:
            continue
        lines = path.read_text().splitlines()
        i = 0
        in_test_from = None
        while i < len(lines):
            line = lines[i]
            if line.strip() == "#[cfg(test)]":
                break  # test modules sit at the end of files here
            m = fn_re.match(line)
            if m:
                indent = len(m.group(1))
                start = i
                # find body open
                j = i
                while j < len(lines) and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
                    j += 1
                if j < len(lines) and lines[j].rstrip().endswith(";") and "{" not in lines[j]:
                    i = j + 1
                    continue
                depth = 0
                k = j
                strip = lambda t: re.sub(r'"(\\.|[^"\\])*"', '""', re.sub(r"b?'(\\.|[^'\\])'", "''", t.split("//")[0] if not t.strip().startswith("//") else ""))
                while k < len(lines):
                    depth += strip(lines[k]).count("{") - strip(lines[k]).count("}")
                    if depth <= 0 and k >= j:
                        break
                    k += 1
                n = k - start + 1
                attributes = " ".join(lines[max(0, start - 3):start])
                if "test]" in attributes:  # #[test], #[tokio::test], #[proptest] bodies
                    i += 1
                    continue
                if n > limit:
                    print(f"{path}:{start+1}: fn {m.group(7)} is {n} lines")
                    found += 1
            i += 1
if found:
    print(f"{found} function(s) over {limit} lines (the house limit): split them by meaning")
    sys.exit(1)
