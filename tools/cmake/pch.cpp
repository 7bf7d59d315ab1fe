// Translation unit that carries the shared precompiled header (<torch/torch.h>).
int loce_pch_anchor = 0;
