"""Peak RSS on the full corpus: /usr/bin/time -f %M python bench/memory_full.py {w2v|gensim}."""
import sys, time
tool=sys.argv[1]
C="/tmp/w2vdata/full.paragraphs.txt"
kw=dict(corpus_file=C, sg=0, workers=2, epochs=1, vector_size=100, window=5, negative=5, min_count=5, alpha=0.05)
t=time.perf_counter()
if tool=="w2v":
    from w2v import Word2Vec
else:
    from gensim.models import Word2Vec
m=Word2Vec(**kw)
print(tool, "wall", round(time.perf_counter()-t,1), "vocab", len(m.wv.index_to_key))
