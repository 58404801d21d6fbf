#!/usr/bin/env bash
# The long fuzzing run of the bootloader's reading of its own file (tests/fuzz/boot_table.c;
# tests/test_fuzz_boot.py is the short one that CI runs).
#
#   tests/fuzz/run.sh [SECONDS]          (default 600)
#
# With clang and its compiler-rt (Debian: apt-get install clang libclang-rt-14-dev) the target
# is built with libFuzzer, -fsanitize=fuzzer,address,undefined, and run on the seed corpus for
# SECONDS; without, the standalone driver (gcc, ASan, UBSan, its own mutator) runs as long.
# A crashing input is saved in $FUZZ_CRASHES; replay one with
#   $FUZZ_WORK/boot_table_libfuzzer CRASH     or     $FUZZ_WORK/boot_table_standalone CRASH
#
# Environment:
#   FUZZ_WORK            builds, corpus and log (default /tmp/freezer-fuzz); libFuzzer adds
#                        the inputs that reach new code to $FUZZ_WORK/corpus, across runs
#   FUZZ_CRASHES         where crashing inputs go (default /tmp/fuzz-crashes)
#   FUZZ_ENGINE          libfuzzer or standalone (default: libfuzzer if clang can build it)
#   FUZZ_JOBS            libFuzzer processes in parallel (default 1)
#   FUZZ_SEED            the standalone driver's seed (default: the time)
#   FREEZER_FUZZ_BINARY  a frozen binary whose tail adds seeds; unset, one is frozen with
#                        this checkout's freeze (a hello world for pyenv's 3.11) if that works
#   FREEZER_PY_MINOR     the CPython layout boot.c is built with (pylayout.h; default 11)
set -euo pipefail

seconds=${1:-600}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${FUZZ_WORK:-/tmp/freezer-fuzz}
crashes=${FUZZ_CRASHES:-/tmp/fuzz-crashes}
corpus=$work/corpus
mkdir -p "$work" "$corpus" "$crashes"

python=python3
[ -x "$repo/.venv/bin/python" ] && python=$repo/.venv/bin/python

pyenv_root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
py311=$(ls -d "$pyenv_root"/versions/3.11.*/bin/python3.11 2>/dev/null | sort -V | tail -n 1 || true)
py_minor=-DFREEZER_PY_MINOR=${FREEZER_PY_MINOR:-11}
libzstd=$(gcc -print-file-name=libzstd.a)
[ -f "$libzstd" ] || { echo "run.sh: no libzstd.a (apt-get install libzstd-dev)" >&2; exit 1; }

# The seeds: synthetic files in freeze's layout, the committed ones, a real binary's tail.
binary=${FREEZER_FUZZ_BINARY:-}
if [ -z "$binary" ] && [ -n "$py311" ] && [ -x "$repo/.venv/bin/freeze" ]; then
    mkdir -p "$work/real"
    printf 'print(1)\n' > "$work/real/app.py"
    if (cd "$work/real" && "$repo/.venv/bin/freeze" app.py -o app --python "$py311") \
        > "$work/real/freeze.log" 2>&1; then
        binary=$work/real/app
    else
        echo "run.sh: could not freeze a real binary (see $work/real/freeze.log); its tail is left out"
    fi
fi
real=()
[ -n "$binary" ] && real=("$binary")
"$python" "$repo/tests/test_fuzz_boot.py" "$corpus" "${real[@]}" > /dev/null
echo "run.sh: corpus $corpus: $(ls "$corpus" | wc -l) files${binary:+, with the tail of $binary}"

sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

engine=${FUZZ_ENGINE:-}
if [ -z "$engine" ]; then
    engine=standalone
    if command -v clang > /dev/null; then
        printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
            > "$work/probe.c"
        if clang -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" \
            > "$work/probe.log" 2>&1; then
            engine=libfuzzer
        else
            echo "run.sh: clang cannot build with libFuzzer here (see $work/probe.log; Debian:" \
                "apt-get install libclang-rt-14-dev); using the standalone driver"
        fi
    fi
fi

status=0
if [ "$engine" = libfuzzer ]; then
    target=$work/boot_table_libfuzzer
    clang -g -O1 -fsanitize=fuzzer "${sanitize[@]}" "$py_minor" "$here/boot_table.c" \
        -o "$target" "$libzstd" -ldl -pthread
    # Tokens of the format, for libFuzzer's dictionary mutations.
    cat > "$work/boot_table.dict" << 'EOF'
"FREEZER2\x0a"
"boot "
"zstd "
"sha256 "
"\x0a"
" "
"PK\x05\x06"
"PK\x01\x02"
"\x7fELF"
"\x28\xb5\x2f\xfd"
"\xff\xff"
"\xff\xff\xff\xff"
"9999999999999999999"
"10000000000000000000"
"18446744073709551615"
"0000000000000000000"
".."
"/"
EOF
    jobs=${FUZZ_JOBS:-1}
    parallel=()
    [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
    echo "run.sh: libFuzzer for $seconds s; log $work/libfuzzer.log"
    # The whole log goes to the file; the terminal is spared the NEW/REDUCE lines.
    set +e
    "$target" -max_total_time="$seconds" -max_len=140000 -timeout=10 \
        -dict="$work/boot_table.dict" -artifact_prefix="$crashes/" -print_final_stats=1 \
        "${parallel[@]}" "$corpus" 2>&1 | tee "$work/libfuzzer.log" |
        grep -v -E '^#[0-9]+'$'\t''(NEW|REDUCE) '
    codes=("${PIPESTATUS[@]}")
    set -e
    status=${codes[0]}
else
    target=$work/boot_table_standalone
    gcc -g -O1 "${sanitize[@]}" -DSTANDALONE_DRIVER "$py_minor" "$here/boot_table.c" \
        -o "$target" "$libzstd" -ldl -pthread
    seed=${FUZZ_SEED:-$(date +%s)}
    echo "run.sh: the standalone driver for $seconds s, seed $seed"
    "$target" --iterations 1000000000000 --seconds "$seconds" --seed "$seed" \
        --crash-dir "$crashes" "$corpus" || status=$?
fi

if [ "$status" -ne 0 ]; then
    echo "run.sh: the fuzzer stopped with status $status; inputs in $crashes:" >&2
    ls -la "$crashes" >&2
fi
exit "$status"
