"""Measuring a GAN: the paper's theory (D*, JSD, V against C(G)), mode counts, Table 1's
Parzen window, and the MNIST judge. Plain functions of arrays and models; no trainer here.

- ``theory``: D*, JSD, V(D, G), C(G) on a 1D grid or by Monte Carlo in 2D; density estimates.
- ``modes``: mode coverage and quality, as VEEGAN and PacGAN count them.
- ``parzen``: the Parzen-window log-likelihood of Table 1, with the paper's protocol.
- ``judge``: a small CNN that reads generated digits (classes, confidence, Fréchet distance).
"""
