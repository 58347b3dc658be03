# SPDX-License-Identifier: GPL-2.0-only
#
# Installing the Hermes tools for users: the `hermes` command, libhermes
# (shared, with a SONAME and a version script, and static), its headers
# and pkg-config file, the manual pages built from Documentation/man with
# Sphinx's man builder, and bash completion.
#
#   make install       PREFIX=/usr/local, DESTDIR= (staging), and
#                      BINDIR LIBDIR INCLUDEDIR MANDIR PKGCONFIGDIR
#                      BASHCOMPDIR to place each part
#   make man           the manual pages alone, in build/tools/hermes/man
#   make check-install host suite: install into a temporary DESTDIR and
#                      use the tree as a user would
#
# Installing builds nothing but the tools: with the kernel built, it does
# not rebuild it.  No root is needed beyond writing DESTDIR.
#
# Headers: $(INCLUDEDIR)/hermes/libhermes.h, and the uapi header it
# includes as <linux/hermes.h> in $(INCLUDEDIR)/hermes/uapi/linux/ (found
# through the -I of `pkg-config --cflags libhermes`), so that it never
# collides with the distribution's kernel headers.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install

HT_MAN_SRC := $(CURDIR)/Documentation/man
HT_MAN_OUT := $(HT_OUT)/man
HT_MAN_PAGES := hermes hermes-devices hermes-run hermes-bench hermes-advise \
	hermes-explain
HT_MANS := $(HT_MAN_PAGES:%=$(HT_MAN_OUT)/%.8)
HT_COMPLETION := $(HT_SRC)/bash-completion/hermes

CHECK_SUITES += install

.PHONY: install man check-install

man: $(HT_MANS)

# One sphinx-build writes every page; -W: a warning is an error.
$(HT_MANS) &: $(HT_MAN_SRC)/conf.py $(HT_MAN_PAGES:%=$(HT_MAN_SRC)/%.rst)
	@mkdir -p $(HT_MAN_OUT)
	sphinx-build -q -W -b man -d $(HT_OUT)/man-doctrees \
		-D version=$(HERMES_VERSION) -D release=$(HERMES_VERSION) \
		$(HT_MAN_SRC) $(HT_MAN_OUT)
	@touch $(HT_MANS)

install: $(HT_OUT)/hermes $(HT_SHLIB) $(HT_STLIB) $(HT_MANS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/hermes/uapi/linux \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0755 $(HT_OUT)/hermes $(DESTDIR)$(BINDIR)/hermes
	$(INSTALL) -m 0755 $(HT_SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sfn $(notdir $(HT_SHLIB)) $(DESTDIR)$(LIBDIR)/$(HT_SONAME)
	ln -sfn $(HT_SONAME) $(DESTDIR)$(LIBDIR)/libhermes.so
	$(INSTALL) -m 0644 $(HT_STLIB) $(DESTDIR)$(LIBDIR)/libhermes.a
	$(INSTALL) -m 0644 $(HT_LIB)/libhermes.h $(DESTDIR)$(INCLUDEDIR)/hermes/
	$(INSTALL) -m 0644 $(CURDIR)/include/uapi/linux/hermes.h \
		$(DESTDIR)$(INCLUDEDIR)/hermes/uapi/linux/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(HERMES_VERSION)|' \
		$(HT_LIB)/libhermes.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/libhermes.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/libhermes.pc
	$(INSTALL) -m 0644 $(HT_MANS) $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 $(HT_COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/hermes

check-install: $(HT_OUT)/hermes $(HT_SHLIB) $(HT_STLIB) $(HT_MANS) \
		$(HT_OUT)/filter-ref $(HT_OUT)/progs/filter.bpf.o
	@MAKE="$(MAKE)" TOP=$(CURDIR) HERMES_VERSION=$(HERMES_VERSION) \
		HT_OUT=$(HT_OUT) $(HT_SRC)/test-install.sh
