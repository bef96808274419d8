"""Chinese word segmentation (jieba): one tokenizer per set of words of our own, made once
and quietly. Importing jieba warns about pkg_resources and loading its dictionary logs to
stderr and takes about half a second, so each tokenizer is made at its first use (or
``warm_up``) and kept."""
from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

_made: dict[tuple, Any] = {}
_lock = threading.Lock()


def tokenizer(words: tuple[tuple[str, int, str | None], ...] = ()) -> Any:
    """A ``jieba.Tokenizer`` of the default dictionary with ``words`` added, each
    (word, frequency, tag or None): the same one for the same words. Its own, so the words
    one part adds never change how another cuts."""
    made = _made.get(words)
    if made is not None:  # made already: no lock (under eventlet a lock costs a switch)
        return made
    with _lock:
        if words not in _made:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import jieba
            jieba.setLogLevel(logging.WARNING)
            made = jieba.Tokenizer()
            made.initialize()
            for word, frequency, tag in words:
                made.add_word(word, freq=frequency, tag=tag)
            _made[words] = made
    return _made[words]


def pos_tokenizer(words: tuple[tuple[str, int, str | None], ...] = ()) -> Any:
    """jieba's part-of-speech cutter over ``tokenizer(words)``, made once."""
    key = ("pos", *words)
    made = _made.get(key)
    if made is not None:
        return made
    base = tokenizer(words)
    with _lock:
        if key not in _made:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import jieba.posseg
            cutter = jieba.posseg.POSTokenizer(base)
            for word, _, tag in words:  # the tags it reads are its own table's
                if tag:
                    cutter.word_tag_tab[word] = tag
            _made[key] = cutter
    return _made[key]
