"""What the project's errors have in common, and TensorFlow's reasons in plain words.

``InputError`` is the base of every error a user fixes by changing what they
gave a command: a flag, a path, data, a run directory, an exported model's
inputs. The command lines (``tfbiggan.cli``) print it as one ``error:`` line
and exit 2, before anything is written.

TensorFlow's own messages carry runtime decoration that means nothing to a
user (``{{function_node __wrapped__DecodeImage_device_/job:localhost/...}}``,
``[[{{node IteratorGetNext}}]]``, ``[Op:SaveV2]``, "Graph execution error:").
``plain_reason`` strips it and names the common causes plainly.
"""
import re


class InputError(ValueError):
    """Bad input that the user can fix; the message names it and the fix."""


# (pattern in TensorFlow's or the OS's text, the cause in plain words)
_CAUSES = (
    (r"jpeg::Uncompress failed|Invalid JPEG data|Premature end of JPEG",
     "not a valid JPEG file"),
    (r"Invalid PNG data|PNG.*(CRC error|IDAT|bad header|signature)", "not a valid PNG file"),
    (r"Invalid GIF data|GIF.*(corrupt|failed)", "not a valid GIF file"),
    (r"BMP.*(invalid|failed)|Invalid BMP", "not a valid BMP file"),
    (r"WebP.*(failed|invalid)", "not a valid WebP file"),
    (r"Unknown image file format", "not an image file (unknown format)"),
    (r"No space left on device|ENOSPC", "no space left on device"),
    (r"File too large|EFBIG", "the file grew past the size limit of this process or "
                              "filesystem"),
    (r"Read-only file system|EROFS", "the filesystem is read-only"),
    (r"Permission denied|EACCES", "permission denied"),
    (r"Disk quota exceeded|EDQUOT", "the disk quota is exceeded"),
)

_DECORATION = (
    r"\{\{function_node [^}]*\}\}",       # {{function_node __wrapped__...}}
    r"\[\[\{\{node [^}]*\}\}\]\]",        # [[{{node IteratorGetNext}}]]
    r"\[\[[^\]]*\]\]",                    # other [[...]] node lists
    r"\[Op:[^\]]*\]",                     # [Op:SaveV2]
    r"Graph execution error:",
    r"Detected at node \S+ defined at \(most recent call last\):",
    r"<stack traces unavailable>",
    r"The error could be from a previous operation\. Restart your program to reset\.",
)


def strip_decoration(text):
    """``text`` without TensorFlow's runtime decoration, on one line."""
    for pattern in _DECORATION:
        text = re.sub(pattern, " ", text)
    return " ".join(text.split()).strip(" ;:")


def plain_reason(error, limit=200):
    """One short line saying why ``error`` (an exception or its text) happened.

    A known cause (an invalid JPEG, a full disk, a read-only filesystem, ...)
    is named in plain words; otherwise TensorFlow's text without its
    decoration, cut to ``limit`` characters.
    """
    text = error if isinstance(error, str) else (
        getattr(error, "message", None) or str(error) or type(error).__name__)
    for pattern, cause in _CAUSES:
        if re.search(pattern, text):
            return cause
    text = strip_decoration(text)
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."
