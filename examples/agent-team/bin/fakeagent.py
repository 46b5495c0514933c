"""What the example's fake CLIs share: doing what a prompt's edit blocks say, for real, in the working directory.

A block is `@@ write PATH` (or `@@ append PATH`), the file's lines, then `@@ end`; the prompt's last line that starts
with `answer:` is the final message. Anything else in the prompt is read and ignored, as a model would skim it.
"""
import os


def apply(prompt):
    """Edits the files the prompt's blocks name; returns (answer, list of paths changed)."""
    changed, answer, mode, path, lines = [], "done", None, None, []
    for line in prompt.splitlines():
        if mode is None and line.startswith("@@ ") and line[3:].split(" ", 1)[0] in ("write", "append"):
            mode, path = line[3:].split(" ", 1)
            lines = []
        elif mode is not None and line.strip() == "@@ end":
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "a" if mode == "append" else "w") as f:
                f.write("\n".join(lines) + "\n")
            changed.append(path)
            mode = None
        elif mode is not None:
            lines.append(line)
        elif line.startswith("answer:"):
            answer = line[len("answer:"):].strip()
    return answer, changed


def tokens(prompt, answer):
    """A plausible token count: about four characters a token."""
    return max(1, len(prompt) // 4), max(1, len(answer) // 4)
