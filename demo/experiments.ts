// The experiments: one click each, a preset of settings, the runs Compare
// starts side by side, and a short text in English and Korean (what to
// watch, what the chapter says, where it stops holding). Each one is a link:
// ?exp=<id>, with any other parameter overriding the preset. The sizes are
// small enough to show the lesson within the step counts e2e/demo-lessons
// runs on a CPU (SwiftShader).
import type { Both } from './i18n';
import type { Settings } from './settings';

export interface Variant {
  label: Both;
  /** What this run changes from the experiment's settings. */
  with: Partial<Settings>;
}

export interface Experiment {
  id: string;
  title: Both;
  settings: Partial<Settings>;
  /** The runs Compare starts (on the same data and initial weights). */
  variants: Variant[];
  watch: Both;
  chapter: Both;
  limits: Both;
}

const v = (en: string, ko: string, w: Partial<Settings>): Variant => ({ label: { en, ko }, with: w });

export const EXPERIMENTS: Experiment[] = [
  {
    id: 'vanishing',
    title: { en: '1. Vanishing gradient: ‖∂L/∂h_t‖ against ρ(W_hh)^k', ko: '1. 기울기 소실: ‖∂L/∂h_t‖ 대 ρ(W_hh)^k' },
    settings: { data: 'builtin', cell: 'rnn', layers: 1, activation: 'identity', bias: false, hidden: 32, steps: 32, batch: 8, lr: 0.01, optimizer: 'adam', clip: 1, strategy: 'full', lossAt: 'last', gain: 1 },
    variants: [v('linear (identity)', '선형 (항등)', {}), v('tanh', 'tanh', { activation: 'tanh' })],
    watch: {
      en: 'The chart "‖∂L/∂h_(T−1−k)‖ against k": only the last step\'s loss sends a gradient here, so each step back multiplies it by W_hhᵀ once. On the log scale the measured line (solid) falls straight, parallel to the prediction ρ(W_hh)^k (dashed), by many powers of ten over the window. The heatmap says the same: bright at t = T − 1, dark at t = 0.',
      ko: '"k에 따른 ‖∂L/∂h_(T−1−k)‖" 차트를 보세요. 여기서는 마지막 단계의 손실만 기울기를 보내므로, 한 단계 거슬러 갈 때마다 W_hhᵀ가 한 번 곱해집니다. 로그 눈금에서 측정값(실선)이 예측 ρ(W_hh)^k(점선)와 나란히 곧게 떨어지며, 창 전체에서 몇 자릿수나 줄어듭니다. 히트맵도 같은 것을 보여 줍니다: t = T − 1은 밝고 t = 0은 어둡습니다.',
    },
    chapter: {
      en: 'For the linear model h_t = W_hh h_(t−1) + W_hx x_t the gradient from step T reaching h_t is (W_hhᵀ)^(T−t) ∂L/∂h_T: its size goes like ρ(W_hh)^k, k = T − t. With ρ < 1 it vanishes exponentially, so a dependency k steps long gets almost no signal.',
      ko: '선형 모델 h_t = W_hh h_(t−1) + W_hx x_t에서 T 단계의 기울기가 h_t에 닿을 때는 (W_hhᵀ)^(T−t) ∂L/∂h_T가 됩니다. 그 크기는 k = T − t일 때 ρ(W_hh)^k처럼 변합니다. ρ < 1이면 지수적으로 사라지므로, k 단계 떨어진 의존성은 신호를 거의 받지 못합니다.',
    },
    limits: {
      en: 'ρ^k is the rate in the long run: a non-normal W_hh can make the first steps fall faster or slower (one step is bounded by the largest singular value, not ρ). With tanh each step also multiplies by tanh′ ≤ 1, so the tanh run falls faster than its ρ^k. With every step\'s loss (the chapter\'s L) the local losses keep ‖∂L/∂h_t‖ from vanishing: what vanishes is each loss\'s reach. For an LSTM or GRU, ρ(W_hh) predicts nothing (the gates decide).',
      ko: 'ρ^k는 장기적인 비율입니다. 정규가 아닌(non-normal) W_hh에서는 처음 몇 단계가 더 빠르거나 느리게 줄 수 있습니다 (한 단계의 상한은 ρ가 아니라 가장 큰 특잇값). tanh에서는 단계마다 tanh′ ≤ 1도 곱해지므로 tanh 실행은 ρ^k보다 빨리 줄어듭니다. 모든 단계의 손실(책의 L)을 쓰면 각 단계의 손실 덕분에 ‖∂L/∂h_t‖는 사라지지 않습니다. 사라지는 것은 각 손실이 닿는 거리입니다. LSTM이나 GRU에서는 ρ(W_hh)가 아무것도 예측하지 못합니다 (게이트가 정합니다).',
    },
  },
  {
    id: 'exploding',
    title: { en: '2. Exploding gradient, with and without clipping', ko: '2. 기울기 폭발: 클리핑이 있을 때와 없을 때' },
    settings: { data: 'builtin', cell: 'rnn', layers: 1, activation: 'identity', bias: false, hidden: 16, steps: 48, batch: 4, lr: 0.3, optimizer: 'sgd', clip: 1, strategy: 'full', lossAt: 'all', gain: 1.6 },
    variants: [v('no clipping (θ = 10⁶)', '클리핑 없음 (θ = 10⁶)', { clip: 1e6 }), v('clipping θ = 1', '클리핑 θ = 1', { clip: 1 })],
    watch: {
      en: 'The gradient-norm chart and the warning: without clipping the first update is so large that the next gradient overflows, and from then on every update is skipped as non-finite (the page pauses after 20 in a row). With θ = 1 the first gradients are in the thousands too, but each update is cut to length lr·θ: no step is skipped and the loss falls.',
      ko: '기울기 노름 차트와 경고를 보세요. 클리핑이 없으면 첫 갱신이 너무 커서 다음 기울기가 넘치고, 그 뒤로는 모든 갱신이 유한하지 않아 건너뛰어집니다 (20번 연속이면 페이지가 멈춥니다). θ = 1이면 처음 기울기도 수천이지만 갱신마다 길이가 lr·θ로 잘려, 건너뛰는 단계가 없고 손실이 줄어듭니다.',
    },
    chapter: {
      en: 'With ρ(W_hh) > 1 the gradient grows like ρ^T: here W_hh starts scaled by 1.6 (ρ ≈ 1.2, and 1.2^48 ≈ 6000). Clipping, g ← min(1, θ/‖g‖) g, bounds the length of each update to lr·θ; its direction stays the gradient\'s.',
      ko: 'ρ(W_hh) > 1이면 기울기는 ρ^T처럼 커집니다. 여기서는 W_hh를 1.6배로 시작합니다 (ρ ≈ 1.2, 1.2^48 ≈ 6000). 클리핑 g ← min(1, θ/‖g‖) g는 갱신 길이를 lr·θ로 제한하고, 방향은 기울기 그대로 둡니다.',
    },
    limits: {
      en: 'Clipping bounds the step, not the gradient: with a larger ρ or a longer window the forward pass or the gradient itself overflows and no θ helps. It does nothing for vanishing gradients, and a clipped step is no longer the true gradient step (biased while it clips).',
      ko: '클리핑은 기울기가 아니라 갱신 크기를 제한합니다. ρ가 더 크거나 창이 더 길면 순전파나 기울기 자체가 넘쳐 어떤 θ도 소용없습니다. 기울기 소실에는 아무 효과가 없고, 클리핑된 갱신은 더는 참 기울기 방향의 갱신이 아닙니다 (클리핑하는 동안 편향됨).',
    },
  },
  {
    id: 'strategies',
    title: { en: '3. The chapter\'s three strategies on The Time Machine', ko: '3. 타임머신 위에서 책의 세 가지 전략' },
    settings: { data: 'builtin', cell: 'rnn', layers: 1, activation: 'tanh', bias: true, hidden: 32, steps: 24, batch: 8, lr: 0.02, optimizer: 'adam', clip: 1, strategy: 'regular', tau: 6, piSchedule: 'constant', pi: 0.5, perSequence: false, lossAt: 'all', gain: 1 },
    variants: [v('full', '전체', { strategy: 'full' }), v('regular τ=6', '정규 τ=6', { strategy: 'regular' }), v('randomized π=0.5', '무작위 π=0.5', { strategy: 'randomized' })],
    watch: {
      en: 'The segment figure is the chapter\'s figure, live: the first sequence of each minibatch, cut where each strategy stops the gradient — one piece for full, a cut every τ = 6 steps for regular, cuts at random for randomized. In the loss chart the three curves stay close together.',
      ko: '구간 그림은 책의 그림을 실시간으로 그린 것입니다: 각 미니배치의 첫 시퀀스를 각 전략이 기울기를 멈추는 곳에서 자릅니다. 전체는 한 조각, 정규는 τ = 6 단계마다, 무작위는 무작위 위치에서 자릅니다. 손실 차트에서 세 곡선은 서로 가깝게 움직입니다.',
    },
    chapter: {
      en: 'Full computation is slow and its gradient is unstable; regular truncation is what practice uses; randomized truncation (ξ_t ∈ {0, 1/π}) is unbiased, yet in practice not much better than regular truncation: the characters of a text depend mostly on the few before them.',
      ko: '전체 계산은 느리고 기울기가 불안정합니다. 실제로는 정규 절단을 씁니다. 무작위 절단(ξ_t ∈ {0, 1/π})은 편향이 없지만, 실제로는 정규 절단보다 그리 낫지 않습니다. 텍스트의 문자는 대부분 바로 앞 몇 글자에 의존하기 때문입니다.',
    },
    limits: {
      en: 'This holds where the data\'s dependencies are short. When a target depends on a symbol further back than τ, regular truncation cannot learn it at all (experiment 4), and randomized truncation\'s 1/π weights add variance (STUDY.md measures it).',
      ko: '이는 데이터의 의존성이 짧을 때 성립합니다. 목표가 τ보다 먼 과거의 기호에 의존하면 정규 절단은 전혀 배우지 못하고 (실험 4), 무작위 절단의 1/π 가중치는 분산을 키웁니다 (STUDY.md에서 측정).',
    },
  },
  {
    id: 'delay',
    title: { en: '4. The delay task: truncation decides what can be learned', ko: '4. 지연 과제: 절단이 배울 수 있는 것을 정한다' },
    settings: { data: 'delay', delay: 3, cell: 'rnn', layers: 1, activation: 'tanh', bias: true, hidden: 32, steps: 16, batch: 16, lr: 0.05, optimizer: 'adam', clip: 1, strategy: 'regular', tau: 3, piSchedule: 'constant', pi: 0.8, perSequence: false, lossAt: 'all', gain: 1 },
    variants: [v('full', '전체', { strategy: 'full' }), v('regular τ=3', '정규 τ=3', { strategy: 'regular' }), v('randomized π=0.8', '무작위 π=0.8', { strategy: 'randomized' })],
    watch: {
      en: 'The loss chart against the dashed chance line ln 8: full BPTT falls far below it within a few dozen steps, and so does randomized truncation; regular truncation with τ = 3 stays on the line however long it trains.',
      ko: '손실 차트를 찍기 수준 점선 ln 8과 비교해 보세요. 전체 BPTT는 수십 단계 만에 그보다 훨씬 아래로 내려가고 무작위 절단도 그렇습니다. τ = 3인 정규 절단은 아무리 학습해도 선 위에 머뭅니다.',
    },
    chapter: {
      en: 'Truncation is the chapter\'s approximation of the gradient. Here the target at t is the symbol at t − 3, so learning needs a gradient path of 3 links, from the loss at t back to h_(t−3). A block of τ = 3 steps has only 2 links: regular truncation never sees the dependency. Randomized truncation keeps the 3 links with probability π³ ≈ 0.51 and reweights them by 1/π³.',
      ko: '절단은 책에서 기울기를 근사하는 방법입니다. 여기서 t의 목표는 t − 3의 기호이므로, 배우려면 t의 손실에서 h_(t−3)까지 3개 연결의 기울기 경로가 필요합니다. τ = 3 단계 블록에는 연결이 2개뿐이라 정규 절단은 이 의존성을 보지 못합니다. 무작위 절단은 3개 연결을 확률 π³ ≈ 0.51로 유지하고 1/π³로 가중합니다.',
    },
    limits: {
      en: 'The forward pass still carries the state across blocks; only the gradient is cut. So τ = k + 1 is enough (the weights learned from the losses that can see k back serve every position). On text, whose dependencies are mostly short, the same cut costs little (experiment 3).',
      ko: '순전파는 블록을 넘어 상태를 계속 전달하고, 잘리는 것은 기울기뿐입니다. 그래서 τ = k + 1이면 충분합니다 (k 단계 뒤를 볼 수 있는 손실에서 배운 가중치가 모든 위치에 쓰입니다). 의존성이 대부분 짧은 텍스트에서는 같은 절단의 대가가 작습니다 (실험 3).',
    },
  },
  {
    id: 'lstm',
    title: { en: '5. RNN against LSTM on a delay longer than the RNN can hold', ko: '5. RNN이 붙잡지 못하는 긴 지연에서 RNN 대 LSTM' },
    settings: { data: 'delay', delay: 12, cell: 'rnn', layers: 1, activation: 'tanh', bias: true, hidden: 32, steps: 24, batch: 16, lr: 0.01, optimizer: 'adam', clip: 1, strategy: 'full', lossAt: 'all', gain: 1, forgetBias: 1 },
    variants: [v('rnn', 'rnn', { cell: 'rnn' }), v('lstm (forget-gate bias +1)', 'lstm (망각 게이트 편향 +1)', { cell: 'lstm' })],
    watch: {
      en: 'The loss chart: over the first hundred or so steps the RNN stays at chance (ln 8) while the LSTM starts down from it, on the same data at the same learning rate. In the heatmap the LSTM\'s ‖∂L/∂c_t‖ panel stays bright across the window: the cell carries the gradient back.',
      ko: '손실 차트에서, 같은 데이터와 같은 학습률로 처음 백여 단계 동안 RNN은 찍기 수준(ln 8)에 머물고 LSTM은 거기서 내려가기 시작합니다. 히트맵에서 LSTM의 ‖∂L/∂c_t‖ 패널은 창 전체에서 밝게 유지됩니다. 셀이 기울기를 뒤로 실어 나릅니다.',
    },
    chapter: {
      en: 'The chapter\'s RNN multiplies the gradient by W_hhᵀ·diag(tanh′) at every step back, so a signal 12 steps long arrives scaled by roughly ρ^12 (experiment 1). An LSTM\'s cell c_t = f_t ⊙ c_(t−1) + i_t ⊙ g_t passes the gradient back through f_t alone: with the forget gate open (f near 1) it survives many steps. The chapter points to gated cells (LSTM, GRU) for long dependencies.',
      ko: '책의 RNN은 한 단계 거슬러 갈 때마다 기울기에 W_hhᵀ·diag(tanh′)를 곱하므로, 12 단계 떨어진 신호는 대략 ρ^12배로 도착합니다 (실험 1). LSTM의 셀 c_t = f_t ⊙ c_(t−1) + i_t ⊙ g_t는 기울기를 f_t만 곱해 돌려보내므로, 망각 게이트가 열려 있으면(f가 1에 가까우면) 여러 단계를 살아남습니다. 책은 긴 의존성에 게이트 셀(LSTM, GRU)을 권합니다.',
    },
    limits: {
      en: 'It is a matter of degree and of training time. This preset adds +1 to the forget gate\'s bias at the start (f ≈ σ(1) ≈ 0.73; Jozefowicz et al. 2015), a common practice. An LSTM learns slowly at first (four gates to train, and the task asks it to hold 12 symbols at once); on a shorter delay (8) an RNN at this learning rate learns the task too, and faster.',
      ko: '정도의 문제이고 학습 시간의 문제이기도 합니다. 이 실험은 시작할 때 망각 게이트 편향에 +1을 더합니다 (f ≈ σ(1) ≈ 0.73; Jozefowicz 외 2015). 흔히 쓰는 방법입니다. LSTM은 처음에 느리게 배우고 (학습할 게이트가 넷이고, 이 과제는 기호 12개를 한꺼번에 기억하게 합니다), 더 짧은 지연(8)에서는 이 학습률의 RNN도 이 과제를, 더 빨리 배웁니다.',
    },
  },
  {
    id: 'tbptt',
    title: { en: '6. TBPTT(k1, k2) against regular truncation', ko: '6. TBPTT(k1, k2) 대 정규 절단' },
    settings: { data: 'delay', delay: 4, cell: 'rnn', layers: 1, activation: 'tanh', bias: true, hidden: 32, steps: 16, batch: 16, lr: 0.05, optimizer: 'adam', clip: 1, strategy: 'tbptt', tau: 4, k1: 4, k2: 8, lossAt: 'all', gain: 1 },
    variants: [v('regular τ=4', '정규 τ=4', { strategy: 'regular' }), v('TBPTT(4, 8)', 'TBPTT(4, 8)', { strategy: 'tbptt' })],
    watch: {
      en: 'Both update on the same blocks of 4 steps. The segment figure shows TBPTT(4, 8)\'s reach: each block of 4 losses (bold) backpropagates into the 4 steps before it too (underlined). The loss chart: TBPTT falls below chance, regular τ = 4 does not.',
      ko: '둘 다 같은 4 단계 블록으로 갱신합니다. 구간 그림은 TBPTT(4, 8)가 닿는 범위를 보여 줍니다: 4개 손실 블록(굵게)이 그 앞의 4 단계(밑줄)까지 역전파됩니다. 손실 차트에서 TBPTT는 찍기 수준 아래로 내려가고, τ = 4인 정규 절단은 그렇지 못합니다.',
    },
    chapter: {
      en: 'Beyond the chapter: Williams & Peng\'s TBPTT(k1, k2) runs backprop every k1 steps, k2 steps back. Regular truncation is TBPTT(τ, τ): the first loss of a block sees no history at all. With k2 = 8 every loss reaches at least k2 − k1 + 1 = 5 steps back, what lag 4 needs.',
      ko: '책 너머: Williams와 Peng의 TBPTT(k1, k2)는 k1 단계마다 k2 단계 뒤까지 역전파합니다. 정규 절단은 TBPTT(τ, τ)이므로 블록의 첫 손실은 과거를 전혀 보지 못합니다. k2 = 8이면 모든 손실이 적어도 k2 − k1 + 1 = 5 단계 뒤까지 닿으며, 이는 지연 4에 필요한 만큼입니다.',
    },
    limits: {
      en: 'The longer reach costs ⌈k2/k1⌉ = 2 reverse passes per window instead of one. On data whose dependencies fit in τ, TBPTT(k1, k2) buys nothing that regular(τ) lacks.',
      ko: '더 긴 도달 범위의 대가는 창마다 역방향 계산 1번 대신 ⌈k2/k1⌉ = 2번입니다. 의존성이 τ 안에 들어오는 데이터에서는 TBPTT(k1, k2)가 정규 절단보다 나을 것이 없습니다.',
    },
  },
];

export function experimentById(id: string | null): Experiment | null {
  return EXPERIMENTS.find((e) => e.id === id) ?? null;
}
