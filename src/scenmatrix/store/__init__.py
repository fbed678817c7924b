"""Studies on disk: safe reads, atomic writes and locks (`files`), YAML with positions (`document`), the parse
cache, the fast path, the loader and every check, git revisions and exported tables. All file I/O of studies
happens here."""
