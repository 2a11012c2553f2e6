"""3-epoch quality of one tool: python bench/quality3.py {w2v|gensim} SG EPOCHS SEED (2 workers, 10M slice)."""
import sys, time, json
tool, sg, ep, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
C="/tmp/w2vdata/first10M.paragraphs.txt"
kw=dict(corpus_file=C, sg=sg, workers=2, epochs=ep, vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, alpha=0.025 if sg else 0.05, seed=seed)
t=time.perf_counter()
if tool=="w2v":
    from w2v import Word2Vec
    m=Word2Vec(**kw); kv=m.wv
    out=f"/tmp/w2v-q-{tool}-{sg}-{ep}-{seed}.bin"; kv.save_word2vec_format(out, binary=True)
else:
    from gensim.models import Word2Vec
    m=Word2Vec(**kw); out=f"/tmp/w2v-q-{tool}-{sg}-{ep}-{seed}.bin"; m.wv.save_word2vec_format(out, binary=True)
wall=time.perf_counter()-t
from w2v.keyedvectors import KeyedVectors
kv=KeyedVectors.load_word2vec_format(out, binary=True)
acc,_=kv.evaluate_word_analogies("/work/shared/data/eval/questions-words.txt", restrict_vocab=30000)
ws=kv.evaluate_word_pairs("/work/shared/data/eval/wordsim353.tsv")[1][0]
print(json.dumps(dict(tool=tool, sg=sg, epochs=ep, seed=seed, wall=round(wall,2), analogy=round(acc*100,2), ws=round(float(ws),4))), flush=True)
