class Solution {
    public int[] twoSum(int[] nums, int target) {
        Map<Integer, Integer> d = new HashMap<>();
        for (int i = 0;; ++i) {
            int y = target - nums[i];
            if (d.containsKey(y)) {
                return new int[] {d.get(y), i};
            }
            d.put(nums[i], i);
        }
    }
}
