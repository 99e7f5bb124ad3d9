#!/usr/bin/python3
"""Checks that every number the README quotes from a study is in that study's committed
report: the README's numbers are copied from reports, never typed by hand (issue 14).

A results section of the README is a `## ` section that says "From a real run of" a study
and names its report directory `results/NAME-report/`. Its sources are the .md and .csv files of every report directory
it names, the `results/NAME.warnings.log` beside each (if the run wrote one), the study files `studies/*.toml`
it names (brace lists expanded: they hold the designs' sizes) and the `docs/*.md` files it
names (where a cost or a method's setting is explained). Every number in the section's
prose and tables must occur, as the same token, in those sources. Not checked: code spans
and file names (`...`), image lines, commit hashes, and references (§N, issue N, #N).

Small integers occur in nearly every report, so for them the check is weak; for the
decimals and counts the claims rest on it is exact. To show that the check can fail, it
also runs itself on copies of the README with one number per results section replaced by
a value absent from the sources, and requires each copy to be refused.

Usage: check_readme_numbers.py REPOSITORY_ROOT
"""

import pathlib
import re
import sys

NUMBER = re.compile(r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)(?![\w])")
REPORT_DIR = re.compile(r"results/([\w.-]+)-report/")
STUDY_FILE = re.compile(r"studies/([\w.{},-]+)\.toml")
DOC_FILE = re.compile(r"(docs/[\w./-]+\.md)")
# Spans whose digits are names, not quantities: code spans, links' targets, commit hashes,
# section and issue references.
NOT_QUANTITIES = [re.compile(p) for p in (r"`[^`]*`", r"\]\([^)]*\)", r"\b[0-9a-f]{7,40}\b", r"§\s*\d+",
                                          r"\b[Ii]ssues? ?\d+(?:['’]s)?", r"\bissue-\d+", r"#\d+")]


def numbers(text):
    return [match.group(1).replace(",", "") for match in NUMBER.finditer(text)]


def quantities(line):
    for pattern in NOT_QUANTITIES:
        line = pattern.sub(" ", line)
    return numbers(line)


def expand_braces(name):
    match = re.search(r"\{([^}]*)\}", name)
    if not match:
        return [name]
    head, tail = name[:match.start()], name[match.end():]
    return [expanded for part in match.group(1).split(",") for expanded in expand_braces(head + part + tail)]


def is_results_section(text):
    return "From a real run of" in text and REPORT_DIR.search(text) is not None


def sections(readme):
    """(title, text) of every `## ` section."""
    parts = re.split(r"^## ", readme, flags=re.M)
    return [(part.splitlines()[0], part) for part in parts[1:]]


def sources_of(root, text):
    files = []
    for name in sorted(set(REPORT_DIR.findall(text))):
        directory = root / "results" / f"{name}-report"
        if not directory.is_dir():
            raise SystemExit(f"README names {directory}, which does not exist")
        files += sorted(directory.glob("*.md")) + sorted(directory.glob("*.csv"))
        log = root / "results" / f"{name}.warnings.log"  # written by runs since the log existed
        if log.is_file():
            files.append(log)
    for pattern in sorted(set(STUDY_FILE.findall(text))):
        files += [root / "studies" / f"{name}.toml" for name in expand_braces(pattern)]
    files += [root / name for name in sorted(set(DOC_FILE.findall(text)))]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit("README names files that do not exist: " + ", ".join(missing))
    return files


def source_numbers(root, text):
    """Every number token of the sources a section names."""
    found = set()
    for path in sources_of(root, text):
        found.update(numbers(path.read_text(errors="replace")))
    return found


def unsourced_numbers(root, readme):
    """(section, number, line) for every quoted number not in the section's sources, and
    the number of results sections and numbers checked."""
    problems, checked_sections, checked_numbers = [], 0, 0
    for title, text in sections(readme):
        if not is_results_section(text):
            continue
        checked_sections += 1
        found = source_numbers(root, text)
        for line in text.splitlines()[1:]:
            if line.lstrip().startswith("!["):
                continue
            for number in quantities(line):
                checked_numbers += 1
                if number not in found:
                    problems.append((title, number, line.strip()))
    return problems, checked_sections, checked_numbers


def mutated_readmes(root, readme):
    """Copies of the README with the first decimal of one results section replaced by a
    value that is in none of that section's sources."""
    copies = []
    for title, text in sections(readme):
        if not is_results_section(text):
            continue
        found = source_numbers(root, text)
        for line in text.splitlines()[1:]:
            decimals = [n for n in quantities(line) if "." in n]
            if not decimals or line.lstrip().startswith("!["):
                continue
            original = decimals[0]
            replacement = original + "7"
            while replacement in found:
                replacement += "7"
            start = readme.index(text)
            changed_text = text.replace(line, line.replace(original, replacement, 1), 1)
            copies.append((title, original, replacement, readme[:start] + changed_text + readme[start + len(text):]))
            break
    return copies


def main(root):
    root = pathlib.Path(root)
    readme = (root / "README.md").read_text()
    problems, checked_sections, checked_numbers = unsourced_numbers(root, readme)
    if checked_sections == 0:
        raise SystemExit("README.md has no results section (none names a results/NAME-report/ directory)")
    failures = [f"README section '{title}': {number} is in none of its reports, in: {line}"
                for title, number, line in problems]
    copies = mutated_readmes(root, readme)
    if len(copies) != checked_sections:
        failures.append(f"self-check: found a decimal to change in {len(copies)} of {checked_sections} sections")
    for title, original, replacement, copy in copies:
        flagged = [p for p in unsourced_numbers(root, copy)[0] if p[1] == replacement.replace(",", "")]
        if not flagged:
            failures.append(f"self-check: changing {original} to {replacement} in '{title}' went unnoticed")
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"README: {checked_numbers} numbers in {checked_sections} results sections are in their reports; "
          f"{len(copies)} changed copies refused")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
