function climbStairs(n: number): number {
    let [a, b] = [0, 1];
    for (let i = 0; i < n; ++i) {
        [a, b] = [b, a + b];
    }
    return b;
}
