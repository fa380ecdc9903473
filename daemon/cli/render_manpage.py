"""The man pages' text (roff), made from a click command's help so that they never drift from `--help`.

The sibling of `render.py` for one output: `render.py` formats what the terminal shows, this module
what `man` shows. `manpage.py` walks the command tree and writes the files.
"""

from __future__ import annotations

import click

from endnoted import __version__


def _escape(text: str) -> str:
    """Given plain text, return it safe for roff: backslashes, non-ASCII, and a leading dot or quote."""
    text = text.replace("\\", "\\e")
    # Non-ASCII (→, é) as roff's own escapes: every troff reads them, with or without preconv.
    text = "".join(char if ord(char) < 128 else f"\\[u{ord(char):04X}]" for char in text)
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line for line in text.split("\n"))


def _option(text: str) -> str:
    return _escape(text).replace("-", "\\-")


def _paragraphs(help_text: str) -> tuple[list[str], list[str], list[str]]:
    """Split a command's help into prose paragraphs, literal (\\b) blocks and example lines."""
    prose: list[str] = []
    literal: list[str] = []
    examples: list[str] = []
    for block in help_text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if lines and lines[0].strip() == "\b":
            body = lines[1:]
            if body and body[0].strip().rstrip(":") in ("Example", "Examples"):
                examples.extend(line.strip() for line in body[1:] if line.strip())
            else:
                literal.append("\n".join(body))
        elif block.strip():
            prose.append(" ".join(line.strip() for line in lines))
    return prose, literal, examples


def page(words: list[str], command: click.Command, parent: click.Context | None = None) -> str:
    """Given a command's words (["endnoted", "service", "install"]) and the command, return its man page."""
    title = "-".join(words)
    context = click.Context(command, info_name=" ".join(words), parent=parent)
    summary = command.get_short_help_str(limit=200).rstrip(".")
    prose, literal, examples = _paragraphs(command.help or "")
    out = [f'.TH "{title.upper()}" 1 "" "endnoted {__version__}" "endnoted manual"',
           ".SH NAME", f"{_option(title)} \\- {_escape(summary)}",
           ".SH SYNOPSIS", f".B {_option(' '.join(words))}",
           _escape(" ".join(command.collect_usage_pieces(context))),
           ".SH DESCRIPTION"]
    for paragraph in prose:
        out += [".PP", _escape(paragraph)]
    for block in literal:
        out += [".PP", ".nf", _escape(block), ".fi"]
    if isinstance(command, click.Group):
        out.append(".SH COMMANDS")
        for name in sorted(command.commands):
            sub = command.commands[name]
            out += [".TP", f"\\fB{_option(name)}\\fR", _escape(sub.get_short_help_str(limit=200)),
                    f"See \\fB{_option('-'.join([*words, name]))}\\fR(1)."]
    records = [param.get_help_record(context) for param in command.get_params(context)]
    options = [record for record in records if record is not None]
    if options:
        out.append(".SH OPTIONS")
        for names, text in options:
            out += [".TP", f"\\fB{_option(names)}\\fR", _escape(text)]
    if examples:
        out += [".SH EXAMPLES", ".nf", *(_escape(line) for line in examples), ".fi"]
    related = ["endnoted"] if len(words) > 1 else []
    out += [".SH SEE ALSO", ", ".join(f"\\fB{_option(name)}\\fR(1)" for name in [*related, "endnoted-config"]
                                      if name != title) or "\\fBendnoted\\fR(1)",
            ".PP", "The README lists every command, verdict, finding code and exit code."]
    return "\n".join(out) + "\n"
