// The activations φ of the rnn cell, by name: a leaf type shared by the
// kernels (their WGSL codes), the model's config and the float64 reference,
// so none of them imports another for it.

/** φ of the rnn cell. */
export type Activation = 'identity' | 'tanh' | 'relu';
