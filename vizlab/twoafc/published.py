"""Human accuracies as published, for comparison beside the ones measured here (never re-derived).

Borowski et al., ICLR 2021, "Exemplary natural images explain CNN activations better than
state-of-the-art feature visualization" (InceptionV1, 2-AFC with 9 max and 9 min references;
chance 50 %). Zimmermann et al., NeurIPS 2021, "How well do feature visualizations support causal
understanding of CNN activations?" (which of two occlusions changes the activation more).
"""

REFERENCES_9 = {"natural": "92 ± 2 %", "synthetic": "82 ± 4 %"}
REFERENCES_1 = {"natural": "73 ± 4 %", "synthetic": "65 ± 5 %"}
CAUSAL = {"synthetic": "67 ± 4 %", "none": "60 ± 3 %", "natural": "66–67 %"}
SOURCES = {"references": "Borowski et al., ICLR 2021 (InceptionV1)",
           "causal": "Zimmermann et al., NeurIPS 2021 (InceptionV1)"}
