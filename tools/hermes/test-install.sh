#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host suite install: `make install DESTDIR=$T/root PREFIX=/usr`, then the
# tree used as a user would: its files, pkg-config, a program built
# against the installed header and libraries (shared and static) that runs
# the filter on the user-space engine and is compared with filter-ref, the
# shared library's SONAME and exports, the manual pages and bash
# completion against what the installed `hermes` says it accepts.
# TAP on standard output.  MAKE, TOP, HERMES_VERSION and HT_OUT from
# mk/install.mk.
set -uo pipefail
: "${MAKE:?}" "${TOP:?}" "${HERMES_VERSION:?}" "${HT_OUT:?}"
T=$(mktemp -d /tmp/hermes-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
R=$T/root
SOMAJOR=${HERMES_VERSION%%.*}
n=0 failed=0

. "$(dirname "$0")/../testing/tap.sh"

# same_list WANT GOT LOG: the two sorted lists are equal, else the diff
same_list() {
	diff -u "$1" "$2" >> "$3" 2>&1
}

echo "TAP version 13"
echo "1..22"

# 1: install into an empty root
$MAKE -s -C "$TOP" install DESTDIR="$R" PREFIX=/usr > "$T/install.log" 2>&1
ok $? "make install DESTDIR=... PREFIX=/usr" "$T/install.log"

# 2: exactly these files (f) and symbolic links (l), nothing else
cat > "$T/tree.want" <<EOF
f usr/bin/hermes
f usr/include/hermes/libhermes.h
f usr/include/hermes/uapi/linux/hermes.h
f usr/lib/libhermes.a
f usr/lib/libhermes.so.$HERMES_VERSION
f usr/lib/pkgconfig/libhermes.pc
f usr/share/bash-completion/completions/hermes
f usr/share/man/man8/hermes-bench.8
f usr/share/man/man8/hermes-advise.8
f usr/share/man/man8/hermes-devices.8
f usr/share/man/man8/hermes-explain.8
f usr/share/man/man8/hermes-run.8
f usr/share/man/man8/hermes.8
l usr/lib/libhermes.so
l usr/lib/libhermes.so.$SOMAJOR
EOF
(cd "$R" && find . ! -type d -printf '%y %P\n' | LC_ALL=C sort) > "$T/tree.got"
LC_ALL=C sort -o "$T/tree.want" "$T/tree.want"
same_list "$T/tree.want" "$T/tree.got" "$T/tree.log"
ok $? "the installed tree has exactly the expected files" "$T/tree.log"

# 3: the development link and the SONAME link
L=$R/usr/lib
{ [ "$(readlink "$L/libhermes.so")" = "libhermes.so.$SOMAJOR" ] &&
  [ "$(readlink "$L/libhermes.so.$SOMAJOR")" = "libhermes.so.$HERMES_VERSION" ] &&
  [ -x "$R/usr/bin/hermes" ] && [ ! -x "$L/libhermes.a" ]; } > "$T/links.log" 2>&1
rc=$?
ls -l "$L" "$R/usr/bin" >> "$T/links.log" 2>&1
ok $rc "libhermes.so -> libhermes.so.$SOMAJOR -> libhermes.so.$HERMES_VERSION, modes" "$T/links.log"

# 4: SONAME, and the libraries it needs: liburing, libelf, zlib, no libbpf
readelf -d "$L/libhermes.so.$HERMES_VERSION" > "$T/dyn.log" 2>&1
{ grep -q "(SONAME).*\[libhermes.so.$SOMAJOR\]" "$T/dyn.log" &&
  grep -q "(NEEDED).*\[liburing.so" "$T/dyn.log" &&
  grep -q "(NEEDED).*\[libelf.so" "$T/dyn.log" &&
  grep -q "(NEEDED).*\[libz.so" "$T/dyn.log" &&
  ! grep -q "(NEEDED).*libbpf" "$T/dyn.log"; }
ok $? "readelf -d: SONAME libhermes.so.$SOMAJOR, needs liburing, libelf, libz, not libbpf" "$T/dyn.log"

# The API: every function the installed header declares (the compiler
# lists them), nothing else
echo '#include <hermes/libhermes.h>' > "$T/api.c"
gcc -I"$R/usr/include" -I"$R/usr/include/hermes/uapi" -fsyntax-only \
	-aux-info "$T/api.aux" "$T/api.c" > "$T/api.log" 2>&1
sed -n 's|^/\* [^ ]*/hermes/libhermes\.h:.*[ *]\(hermes_[a-z0-9_]*\) (.*|\1|p' \
	"$T/api.aux" | LC_ALL=C sort -u > "$T/api.want"
[ "$(wc -l < "$T/api.want")" -ge 10 ] || { echo "only $(wc -l < "$T/api.want") functions found in libhermes.h" >> "$T/api.log"; echo bad > "$T/api.want"; }

# 5: the shared library exports exactly those, at version LIBHERMES_x.y.z
nm -D --defined-only "$L/libhermes.so.$HERMES_VERSION" > "$T/nmd.log" 2>&1
awk '$2 ~ /^[A-Z]$/ && $2 != "A" { print $3 }' "$T/nmd.log" | sed 's/@.*//' |
	LC_ALL=C sort > "$T/so.got"
{ same_list "$T/api.want" "$T/so.got" "$T/so.log" &&
  ! awk '$2 ~ /^[A-Z]$/ && $2 != "A"' "$T/nmd.log" |
	grep -v "@@LIBHERMES_$HERMES_VERSION\$" >> "$T/so.log"; }
ok $? "nm -D: libhermes.so exports exactly the functions of libhermes.h ($(wc -l < "$T/api.want")), all @@LIBHERMES_$HERMES_VERSION" "$T/so.log"

# 6: so does the static library: libbpf and the engine are local in it
nm --defined-only -g "$L/libhermes.a" 2> "$T/a.log" |
	awk 'NF == 3 { print $3 }' | LC_ALL=C sort > "$T/a.got"
same_list "$T/api.want" "$T/a.got" "$T/a.log"
ok $? "nm: libhermes.a defines no global symbol but the functions of libhermes.h" "$T/a.log"

# 7: pkg-config, pointed into the tree
export PKG_CONFIG_SYSROOT_DIR=$R PKG_CONFIG_PATH=$R/usr/lib/pkgconfig
{ pkg-config --validate libhermes && pkg-config --cflags --libs libhermes &&
  [ "$(pkg-config --modversion libhermes)" = "$HERMES_VERSION" ] &&
  pkg-config --cflags libhermes | grep -q -- "-I$R/usr/include/hermes/uapi" &&
  pkg-config --libs libhermes | grep -q -- "-L$R/usr/lib -lhermes" &&
  pkg-config --static --libs libhermes | grep -q -- "-luring.*-lelf.*-lz"; } > "$T/pc.log" 2>&1
ok $? "pkg-config --cflags --libs libhermes: the tree's headers and library, version $HERMES_VERSION" "$T/pc.log"

# A user's program: the library's own error path, then the filter over
# records on the user-space engine
cat > "$T/user.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <hermes/libhermes.h>

int main(int argc, char **argv)
{
	struct hermes_prog *prog;
	struct hermes_dev *dev;
	struct hermes_stats st;
	int err, in, out;

	if (argc != 5)
		return 2;
	if (hermes_open("none", &dev)) {
		printf("hermes_open: %s\n", hermes_strerror());
		return 1;
	}
	printf("device %s, fallback %d\n", hermes_dev_name(dev),
	       hermes_dev_is_fallback(dev));
	err = hermes_prog_load(dev, "/nonexistent/x.bpf.o", NULL, &prog);
	printf("missing object: %s: %s\n", err < 0 ? "error" : "no error",
	       hermes_strerror());
	if (hermes_prog_load(dev, argv[1], NULL, &prog)) {
		printf("hermes_prog_load: %s\n", hermes_strerror());
		return 1;
	}
	in = open(argv[2], O_RDONLY);
	out = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0)
		return 1;
	HERMES_OPTS(hermes_stream_opts, o, .record_size = atoi(argv[4]),
		    .res_fd = -1);
	err = hermes_stream(prog, in, out, &o, &st);
	printf("stream: %d, %llu records in, %llu out\n", err,
	       (unsigned long long)st.records_in,
	       (unsigned long long)st.records_out);
	hermes_prog_free(prog);
	hermes_close(dev);
	return err ? 1 : 0;
}
EOF
"$HT_OUT/filter-ref" gen "$T/rec.in" --record 64 --bytes 640000 --seed 11 &&
"$HT_OUT/filter-ref" filter "$T/rec.in" "$T/rec.ref" --record 64 > "$T/ref.log" 2>&1
nrec=$(( $(stat -c %s "$T/rec.in") / 64 ))

# check_user BIN LOG: the program's output and the filtered records
check_user() {
	"$1" "$HT_OUT/progs/filter.bpf.o" "$T/rec.in" "$T/$2.out" 64 > "$T/$2.run" 2>> "$T/$2.log"
	local rc=$?
	cat "$T/$2.run" >> "$T/$2.log"
	[ $rc -eq 0 ] &&
	[ "$(sed -n 1p "$T/$2.run")" = "device none, fallback 1" ] &&
	sed -n 2p "$T/$2.run" | grep -q '^missing object: error: .*/nonexistent/x\.bpf\.o' &&
	sed -n 3p "$T/$2.run" | grep -q "^stream: 0, $nrec records in, [1-9][0-9]* out\$" &&
	cmp "$T/$2.out" "$T/rec.ref" >> "$T/$2.log" 2>&1
}

# 8: build it as a user would, against the shared library
cc -std=gnu11 -Wall -Wextra -Werror $(pkg-config --cflags libhermes) \
	-o "$T/user" "$T/user.c" $(pkg-config --libs libhermes) > "$T/dyn-cc.log" 2>&1 &&
	readelf -d "$T/user" | grep -q "(NEEDED).*\[libhermes.so.$SOMAJOR\]" >> "$T/dyn-cc.log" 2>&1
ok $? "cc \$(pkg-config --cflags libhermes) user.c \$(pkg-config --libs libhermes): needs libhermes.so.$SOMAJOR" "$T/dyn-cc.log"

# 9: it loads the tree's library
LD_LIBRARY_PATH=$L ldd "$T/user" > "$T/ldd.log" 2>&1
grep -q "libhermes.so.$SOMAJOR => $L/libhermes.so.$SOMAJOR " "$T/ldd.log"
ok $? "the program loads libhermes.so.$SOMAJOR from the tree (ldd)" "$T/ldd.log"

# 10: and runs: errors, then the filter on the engine = filter-ref
cp "$T/ref.log" "$T/dyn.log"
LD_LIBRARY_PATH=$L check_user "$T/user" dyn
ok $? "the program runs (shared): hermes_open(none), an error message, filter output = filter-ref" "$T/dyn.log"

# 11, 12: the same linked statically with libhermes.a and what
# `pkg-config --static` adds: nothing else (libbpf is inside)
cc -std=gnu11 -Wall -Wextra -Werror $(pkg-config --cflags libhermes) \
	-o "$T/user-static" "$T/user.c" \
	$(pkg-config --static --libs libhermes | sed 's/-lhermes\b/-l:libhermes.a/') \
	> "$T/st-cc.log" 2>&1 &&
	! readelf -d "$T/user-static" | grep "(NEEDED).*libhermes" >> "$T/st-cc.log" 2>&1
ok $? "cc ... \$(pkg-config --static --libs libhermes) with libhermes.a: links, no libhermes.so needed" "$T/st-cc.log"
cp "$T/ref.log" "$T/st.log"
check_user "$T/user-static" st
ok $? "the program runs (static): filter output = filter-ref" "$T/st.log"

# 13: and from C++, as libbpf's headers allow (extern "C")
cat > "$T/user.cc" <<'EOF'
#include <cstdio>
#include <hermes/libhermes.h>

int main()
{
	struct hermes_dev *dev;

	if (hermes_open("none", &dev)) {
		std::printf("hermes_open: %s\n", hermes_strerror());
		return 1;
	}
	std::printf("device %s\n", hermes_dev_name(dev));
	hermes_close(dev);
	return 0;
}
EOF
{ g++ -Wall -Wextra -Werror $(pkg-config --cflags libhermes) -o "$T/user-cc" \
	"$T/user.cc" $(pkg-config --libs libhermes) &&
  [ "$(LD_LIBRARY_PATH=$L "$T/user-cc")" = "device none" ]; } > "$T/cxx.log" 2>&1
ok $? "a C++ program includes <hermes/libhermes.h>, links with pkg-config --libs and runs" "$T/cxx.log"

# The manual pages
M=$R/usr/share/man/man8
# 14: groff formats each as man(1) would, without a warning (-ww: all
# of them), as plain text (no hyphenation, long lines: for the checks
# below), and each starts with its NAME line
: > "$T/groff.log"
for p in hermes hermes-devices hermes-run hermes-bench hermes-advise \
	hermes-explain; do
	groff -man -Tutf8 -ww -z "$M/$p.8" >> "$T/groff.log" 2>&1 ||
		echo "$p: groff status $?" >> "$T/groff.log"
	groff -man -Tascii -ww -rHY=0 -rLL=300n -P-cbou "$M/$p.8" \
		> "$T/$p.txt" 2>> "$T/groff.log"
	grep -A1 '^NAME' "$T/$p.txt" | grep -q "^ *$p - [a-z]" ||
		echo "$p: no NAME line" >> "$T/groff.log"
done
[ ! -s "$T/groff.log" ]
ok $? "man pages hermes(8), hermes-devices(8), hermes-run(8), hermes-bench(8), hermes-advise(8), hermes-explain(8): no groff warning, NAME lines" "$T/groff.log"

# The options the installed command says it accepts, by command
H=$R/usr/bin/hermes
opts_of() {	# opts_of HELP-TEXT-FILE: -x and --long options it names
	python3 -c '
import re, sys
t = open(sys.argv[1]).read()
print("\n".join(sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])", t)))))' "$1"
}
"$H" --help > "$T/help-main" 2>&1
for c in devices run bench advise; do "$H" help $c > "$T/help-$c" 2>&1; done
cmds=$(sed -n 's/.*COMMAND := { \(.*\) }.*/\1/p' "$T/help-main" | tr -d '|' | xargs -n1 | LC_ALL=C sort)

# 15: each page names every option of its command
: > "$T/manopts.log"
for c in main devices run bench advise; do
	p=hermes-$c; [ $c = main ] && p=hermes
	[ -s "$T/help-$c" ] || echo "hermes help $c: no output" >> "$T/manopts.log"
	for o in $(opts_of "$T/help-$c"); do
		grep -Eq -- "(^|[^[:alnum:]-])$o([^[:alnum:]-]|\$)" "$T/$p.txt" || echo "$p(8) does not document $o" >> "$T/manopts.log"
	done
done
[ ! -s "$T/manopts.log" ]
ok $? "the man pages document every option of hermes --help and hermes help CMD" "$T/manopts.log"

# Bash completion
B=$R/usr/share/bash-completion/completions/hermes
# complete WORD...: what the completion offers for the last word
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_hermes; printf "%s\n" "${COMPREPLY[@]}"' _ "$B" "$@" | LC_ALL=C sort -u
}

# 16
bash -n "$B" > "$T/bashn.log" 2>&1
ok $? "bash completion: bash -n" "$T/bashn.log"

# 17: the commands of `hermes --help`
printf '%s\n' $cmds > "$T/cmds.want"
complete_words hermes "" > "$T/cmds.got"
{ [ -s "$T/cmds.want" ] || echo "no COMMAND := line in hermes --help"; } > "$T/cmds.log"
[ ! -s "$T/cmds.log" ] && same_list "$T/cmds.want" "$T/cmds.got" "$T/cmds.log"
ok $? "completion: hermes <TAB> offers the commands of hermes --help" "$T/cmds.log"

# 18: the options of each command, exactly: those its help lists, and
# the options without argument of hermes --help that it accepts too
# (hermes CMD OPT --help succeeds)
: > "$T/copts.log"
for c in main devices run bench advise; do
	{
		opts_of "$T/help-$c"
		[ $c = main ] ||
		for o in $(opts_of "$T/help-main"); do
			"$H" $c $o --help > /dev/null 2>&1 && echo "$o"
		done
	} | LC_ALL=C sort -u > "$T/copts.want"
	if [ $c = main ]; then
		complete_words hermes - > "$T/copts.got"
	else
		complete_words hermes $c - > "$T/copts.got"
	fi
	echo "== $c" >> "$T/copts.log"
	same_list "$T/copts.want" "$T/copts.got" "$T/copts.log" || echo FAIL >> "$T/copts.log"
done
! grep -q FAIL "$T/copts.log"
ok $? "completion: the options of hermes, devices, run, bench and advise, as their help lists them and they accept" "$T/copts.log"

# 19: files: PROG.o among *.o, any file after --in/--out/--results
mkdir -p "$T/cwd/dir"
touch "$T/cwd/a.bpf.o" "$T/cwd/b.bin"
{ [ "$(cd "$T/cwd" && complete_words hermes run "" | xargs)" = "a.bpf.o dir" ] &&
  [ "$(cd "$T/cwd" && complete_words hermes run a.bpf.o --in "" | xargs)" = "a.bpf.o b.bin dir" ] &&
  [ "$(cd "$T/cwd" && complete_words hermes run a.bpf.o -i x -o b | xargs)" = "b.bin" ] &&
  [ "$(cd "$T/cwd" && complete_words hermes run a.bpf.o --results "" | xargs)" = "a.bpf.o b.bin dir" ]; } > "$T/cfiles.log" 2>&1
ok $? "completion: PROG.o offers *.o files, --in/-o/--results any file" "$T/cfiles.log"

# 20: --dev: none and the device nodes there are
devs=$(printf '%s\n' none $(cd /dev && ls -d hermes[0-9]* 2> /dev/null) | LC_ALL=C sort | xargs)
got=$(complete_words hermes run a.o --dev "" | xargs)
echo "want: $devs, got: $got" > "$T/cdev.log"
[ "$got" = "$devs" ] && [ "$(complete_words hermes run a.o --dev n | xargs)" = none ]
ok $? "completion: --dev offers none and the /dev/hermesN devices" "$T/cdev.log"

# 21: the installed command runs and names the package version
"$H" --version > "$T/version.log" 2>&1 && grep -q "$HERMES_VERSION" "$T/version.log"
ok $? "the installed hermes --version names version $HERMES_VERSION" "$T/version.log"

# 22: the licence: the library links the engine, so its files, the
# installed header and the pkg-config file say the engine's licence
: > "$T/spdx.log"
lic=$(sed -n 's/.*SPDX-License-Identifier: \(.*[^ ]\).*/\1/p' "$TOP/qemu/hw/misc/hermes-ebpf.c")
[ "$lic" = GPL-2.0-or-later ] || echo "the engine says '$lic'" >> "$T/spdx.log"
for f in "$TOP"/tools/lib/hermes/*.[ch] "$TOP"/tools/lib/hermes/libhermes.map \
		"$R/usr/include/hermes/libhermes.h" "$R/usr/lib/pkgconfig/libhermes.pc"; do
	grep -q "SPDX-License-Identifier: $lic\( \*/\)\{0,1\}\$" "$f" ||
		echo "${f#"$T"/}: $(grep -m1 SPDX "$f")" >> "$T/spdx.log"
done
[ ! -s "$T/spdx.log" ]
ok $? "licence: libhermes's files, installed header and .pc say the engine's $lic" "$T/spdx.log"

[ $failed -eq 0 ]
