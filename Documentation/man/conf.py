# SPDX-License-Identifier: GPL-2.0
#
# Sphinx configuration of the manual pages of the hermes command, built
# with the man builder by mk/install.mk (`make man`, `make install`):
#   sphinx-build -W -b man Documentation/man build/tools/hermes/man
# The version comes from mk/hermes-tools.mk (-D version=... -D release=...).

project = 'Hermes'
author = 'The Hermes authors'
copyright = '2026, The Hermes authors'
version = release = 'unknown'
root_doc = 'hermes'
exclude_patterns = []
man_make_section_directory = False
man_show_urls = False

man_pages = [
    ('hermes', 'hermes',
     'run verified eBPF programs over records on Hermes devices',
     [author], 8),
    ('hermes-devices', 'hermes-devices',
     'list Hermes devices, their capabilities and engine counters',
     [author], 8),
    ('hermes-run', 'hermes-run',
     'run an eBPF program once per record of a file on a Hermes device',
     [author], 8),
    ('hermes-bench', 'hermes-bench',
     'the same programs over the same records: plain C, host JIT, engine, device',
     [author], 8),
    ('hermes-advise', 'hermes-advise',
     'predict where a program runs fastest: host JIT, device, F1 card',
     [author], 8),
    ('hermes-explain', 'hermes-explain',
     'whether a Hermes device takes each program of an object, and why not',
     [author], 8),
]
