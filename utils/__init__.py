"""《动手学 Transformer》各章共用的代码。The shared engine of the book.

The folders say what depends on what (each layer uses only the ones above it):

    utils/_validate.py, _threads.py  input checks with Chinese messages; torch's thread count
    utils/nn/           the engine: attention by hand (numpy) and in torch, positional
                        encoding, the Transformer; the notes' worked example; cosine and PCA
    utils/models/       the trained models, one module each, with their data and training:
                        numerals, word2vec, char_lm, recommender, vit; corpus (the shipped
                        text); reference (the shipped reference models)
    utils/experiments/  the measurements the chapters run: scaling (why √d_k), embedding
                        (one-hot versus lookup), parallelism (RNN versus attention)
    utils/plots/        matplotlib: the Chinese font, heatmaps, each chapter's figures
    utils/widgets/      the step-through widgets: base (the shared stepper and editor) and
                        one module per widget

Naming used everywhere (see README): batch, seq_len, d_model, num_heads,
d_k (key/query size), d_v (value size); q, k, v for queries, keys, values.
"""
