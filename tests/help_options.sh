# tests/help_options.sh - sourced by the man and completion tests, so both
# read --help the same way.
#
# options_of: the options a --help text (on stdin) offers: those of its usage
# lines (the first paragraph) and of its option lines (an indented line that
# starts with "-": every option before the description, as in
# "  -h, --help   this text" or "  --day D, --since T   the window").
options_of() {
    awk '
        NR == 1 { usage = 1 }
        usage && /^$/ { usage = 0 }
        usage { print; next }
        /^ +-/ { sub(/^ +/, ""); sub(/   .*/, ""); print }' |
        grep -o -- '\(^\|[][ ,|]\)--\?[a-zA-Z][a-zA-Z0-9-]*' | grep -o -- '--\?[a-zA-Z][a-zA-Z0-9-]*' | sort -u
}
