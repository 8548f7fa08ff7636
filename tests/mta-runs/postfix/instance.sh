# instance.sh - the Postfix instance of run.sh and expire.sh (sourced, not run).
#
# instance_make NAME: a fresh temporary directory /tmp/NAME.XXXXXX in $dir with
# this directory's main.cf.in and master.cf.in (@DIR@, @PORT@, @PORT2@
# replaced) and tables/; it goes when the script exits.
# instance_start: checks the configuration (which creates the queue
# directories with their owners and modes) and starts master; whatever
# happens next, the instance stops and its directory goes.
# Needs $here (this directory), $PORT and $PORT2.
instance_make() {
    dir=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$dir"
    trap 'rm -rf "$dir"' EXIT
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    for f in main.cf master.cf; do
        sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$PORT|g" -e "s|@PORT2@|$PORT2|g" \
            "$here/$f.in" >"$dir/etc/$f"
    done
    cp "$here"/tables/* "$dir/etc/"
    chown postfix "$dir/data"
}

instance_start() {
    # (postfix writes its errors to stderr only on a terminal: script(1) gives it one)
    postfix -c "$dir/etc" check || { script -qc "postfix -c $dir/etc check" /dev/null; exit 1; }
    postfix -c "$dir/etc" start
    trap 'postfix -c "$dir/etc" status >/dev/null 2>&1 && postfix -c "$dir/etc" stop; rm -rf "$dir"' EXIT
}
