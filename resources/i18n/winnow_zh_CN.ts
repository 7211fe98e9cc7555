<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AdjudicationDialog</name>
    <message>
        <source>Adjudication</source>
        <translation>裁决</translation>
    </message>
    <message>
        <source>Compare A:</source>
        <translation>比较 A：</translation>
    </message>
    <message>
        <source>with B:</source>
        <translation>与 B：</translation>
    </message>
    <message>
        <source>Label:</source>
        <translation>标签：</translation>
    </message>
    <message>
        <source>Rating:</source>
        <translation>评分：</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <source>All from &amp;A</source>
        <translation>全部采用 A(&amp;A)</translation>
    </message>
    <message>
        <source>All from &amp;B</source>
        <translation>全部采用 B(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Resolve</source>
        <translation>确定裁决(&amp;R)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Hunks — pick a side for each:</source>
        <translation>差异块 — 逐一选择采用哪一方：</translation>
    </message>
    <message>
        <source>Result, against the version sent out:</source>
        <translation>结果（对比发出时的版本）：</translation>
    </message>
    <message>
        <source>Sample {id} — {who}</source>
        <translation>样本 {id} — {who}</translation>
    </message>
    <message>
        <source>Nothing waits for adjudication.</source>
        <translation>没有待裁决的样本。</translation>
    </message>
    <message>
        <source>Sample {id} ({kind}): {n} versions — {who}</source>
        <translation>样本 {id}（{kind}）：{n} 个版本 — {who}</translation>
    </message>
    <message>
        <source>The texts are the same; the versions differ in label, rating or status.</source>
        <translation>文本相同；各版本的区别在于标签、评分或状态。</translation>
    </message>
    <message>
        <source>The text is as it was sent out.</source>
        <translation>文本与发出时相同。</translation>
    </message>
</context>
<context>
    <name>AssignDialog</name>
    <message>
        <source>Assign and send work packages</source>
        <translation>分配并发送工作包</translation>
    </message>
    <message>
        <source>names, separated by commas: 张三, 李四, 王五</source>
        <translation>姓名，以逗号分隔：张三, 李四, 王五</translation>
    </message>
    <message>
        <source>Share of the samples given to two people, to measure agreement</source>
        <translation>同时分给两人的样本比例，用于衡量一致性</translation>
    </message>
    <message>
        <source>one batch per annotator</source>
        <translation>每位标注员一个批次</translation>
    </message>
    <message>
        <source>The same seed splits the same samples the same way</source>
        <translation>相同的种子总以相同方式拆分相同的样本</translation>
    </message>
    <message>
        <source>&amp;Assign</source>
        <translation>分配(&amp;A)</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the assignment; nothing is assigned</source>
        <translation>停止分配；不会分配任何样本</translation>
    </message>
    <message>
        <source>Annotators:</source>
        <translation>标注员：</translation>
    </message>
    <message>
        <source>Overlap:</source>
        <translation>重叠比例：</translation>
    </message>
    <message>
        <source>Batch size:</source>
        <translation>批次大小：</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>随机种子：</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批次</translation>
    </message>
    <message>
        <source>Annotator</source>
        <translation>标注员</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本数</translation>
    </message>
    <message>
        <source>Shared</source>
        <translation>重叠</translation>
    </message>
    <message>
        <source>&amp;Send selected as packages…</source>
        <translation>将所选批次作为工作包发送(&amp;S)…</translation>
    </message>
    <message>
        <source>Batches:</source>
        <translation>批次：</translation>
    </message>
    <message>
        <source>Counting the samples…</source>
        <translation>正在统计样本…</translation>
    </message>
    <message>
        <source>{n} samples in the current list ({out} of them already out with annotators).</source>
        <translation>当前列表有 {n} 个样本（其中 {out} 个已发给标注员）。</translation>
    </message>
    <message>
        <source>Assigning the samples…</source>
        <translation>正在分配样本…</translation>
    </message>
    <message>
        <source>Cancelling the assignment…</source>
        <translation>正在取消分配…</translation>
    </message>
    <message>
        <source>Assignment cancelled; nothing was assigned.</source>
        <translation>分配已取消；没有分配任何样本。</translation>
    </message>
    <message>
        <source>Assignment {name}: {n} batches, selected above; send them as packages.</source>
        <translation>分配 {name}：{n} 个批次，已在上方选中；请将其作为工作包发送。</translation>
    </message>
    <message>
        <source>Select the batches to send first.</source>
        <translation>请先选择要发送的批次。</translation>
    </message>
    <message>
        <source>Folder for the packages</source>
        <translation>工作包保存文件夹</translation>
    </message>
    <message>
        <source>Writing {n} packages…</source>
        <translation>正在写入 {n} 个工作包…</translation>
    </message>
    <message>
        <source>{file}: {n} samples for {who}</source>
        <translation>{file}：给 {who} 的 {n} 个样本</translation>
    </message>
    <message>
        <source>Wrote to {folder}:</source>
        <translation>已写入 {folder}：</translation>
    </message>
</context>
<context>
    <name>ChatPane</name>
    <message>
        <source>Knowledge</source>
        <translation>知识</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>System</source>
        <translation>系统</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Function call</source>
        <translation>函数调用</translation>
    </message>
    <message>
        <source>Tool result</source>
        <translation>工具结果</translation>
    </message>
    <message>
        <source>(no role)</source>
        <translation>（无角色）</translation>
    </message>
</context>
<context>
    <name>CheatSheet</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>What it does</source>
        <translation>作用</translation>
    </message>
</context>
<context>
    <name>ChoiceButton</name>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>{title}: all</source>
        <translation>{title}：全部</translation>
    </message>
</context>
<context>
    <name>CodePane</name>
    <message>
        <source>Instruction</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Language: {language}</source>
        <translation>语言：{language}</translation>
    </message>
    <message>
        <source>Language (from the code): {language}</source>
        <translation>语言（据代码判断）：{language}</translation>
    </message>
    <message>
        <source>No code block found</source>
        <translation>未找到代码块</translation>
    </message>
</context>
<context>
    <name>Dashboard</name>
    <message>
        <source>QA dashboard — {name}</source>
        <translation>质检仪表板 — {name}</translation>
    </message>
    <message>
        <source>Label distribution</source>
        <translation>标签分布</translation>
    </message>
    <message>
        <source>Rating histogram</source>
        <translation>评分分布</translation>
    </message>
    <message>
        <source>Progress per annotator (decided / assigned)</source>
        <translation>各标注员进度（已判定 / 已分配）</translation>
    </message>
    <message>
        <source>Progress per batch (decided / samples)</source>
        <translation>各批次进度（已判定 / 样本数）</translation>
    </message>
    <message>
        <source>Gate results (share agreed)</source>
        <translation>关卡结果（同意率）</translation>
    </message>
    <message>
        <source>Agreement over time (Fleiss&apos; kappa on the overlap)</source>
        <translation>一致性随时间的变化（重叠样本的 Fleiss κ）</translation>
    </message>
    <message>
        <source>Annotator</source>
        <translation>标注员</translation>
    </message>
    <message>
        <source>Decided</source>
        <translation>已判定</translation>
    </message>
    <message>
        <source>Seconds per sample</source>
        <translation>每样本秒数</translation>
    </message>
    <message>
        <source>Samples per hour</source>
        <translation>每小时样本数</translation>
    </message>
    <message>
        <source>Overlap samples</source>
        <translation>重叠样本</translation>
    </message>
    <message>
        <source>Cohen&apos;s kappa</source>
        <translation>Cohen κ 系数</translation>
    </message>
    <message>
        <source>Rating alpha</source>
        <translation>评分 α</translation>
    </message>
    <message>
        <source>Post-edit distance</source>
        <translation>后编辑距离</translation>
    </message>
    <message>
        <source>Nothing yet</source>
        <translation>暂无数据</translation>
    </message>
    <message>
        <source>No overlapping labels yet</source>
        <translation>重叠样本尚无标签</translation>
    </message>
    <message>
        <source>&lt;b&gt;Agreement on the overlap, throughput and post-edit distance&lt;/b&gt;</source>
        <translation>&lt;b&gt;重叠样本的一致性、效率与后编辑距离&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>Computing…</source>
        <translation>正在计算…</translation>
    </message>
    <message>
        <source>The figures could not be read: {error}</source>
        <translation>无法读取数据：{error}</translation>
    </message>
    <message>
        <source>Figures as of now; Refresh reads them again.</source>
        <translation>数据截至此刻；点击“刷新”重新读取。</translation>
    </message>
    <message>
        <source>Not labelled</source>
        <translation>未标注</translation>
    </message>
    <message>
        <source>{n} samples rated {r}</source>
        <translation>{n} 个样本评 {r} 分</translation>
    </message>
    <message>
        <source>{batch} ({who}): {decided} of {n} decided; {state}; rework round {round}</source>
        <translation>{batch}（{who}）：{n} 个中已判定 {decided} 个；{state}；返工轮次 {round}</translation>
    </message>
    <message>
        <source>assigned</source>
        <translation>已分配</translation>
    </message>
    <message>
        <source>sent</source>
        <translation>已发出</translation>
    </message>
    <message>
        <source>returned</source>
        <translation>已交回</translation>
    </message>
    <message>
        <source>merged</source>
        <translation>已合并</translation>
    </message>
    <message>
        <source>stage {n} being checked</source>
        <translation>第 {n} 关检查中</translation>
    </message>
    <message>
        <source>passed stage {n}</source>
        <translation>已通过第 {n} 关</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>未通过</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>已通过</translation>
    </message>
    <message>
        <source>{batch} · round {round} · stage {stage}</source>
        <translation>{batch} · 第 {round} 轮 · 第 {stage} 关</translation>
    </message>
    <message>
        <source>{label}: {agreed} of {checked} agreed, threshold {threshold}; {verdict} ({who}, {when})</source>
        <translation>{label}：检查 {checked} 个，同意 {agreed} 个，通过线 {threshold}；{verdict}（{who}，{when}）</translation>
    </message>
    <message>
        <source>Fleiss&apos; kappa</source>
        <translation>Fleiss κ 系数</translation>
    </message>
    <message>
        <source>Overall on {items} overlapping samples and {raters} annotators: Fleiss&apos; kappa {fleiss}, Krippendorff&apos;s alpha of labels (nominal) {alpha}, of ratings (ordinal) {ratings}.</source>
        <translation>总体（{items} 个重叠样本、{raters} 位标注员）：Fleiss κ {fleiss}；标签的 Krippendorff α（名义）{alpha}，评分的 Krippendorff α（有序）{ratings}。</translation>
    </message>
</context>
<context>
    <name>DraftList</name>
    <message>
        <source>Put the draft into the sample (undoable)</source>
        <translation>将草稿填入样本（可撤销）</translation>
    </message>
    <message>
        <source>Machine draft · {task} · {engine}</source>
        <translation>机器草稿 · {task} · {engine}</translation>
    </message>
    <message>
        <source>Take this draft</source>
        <translation>采用此草稿</translation>
    </message>
</context>
<context>
    <name>ExamPane</name>
    <message>
        <source>Subject</source>
        <translation>科目</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>Context (reading passage, optional)</source>
        <translation>材料（阅读文段，可选）</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>题目</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>答案</translation>
    </message>
    <message>
        <source>Answer analysis (optional)</source>
        <translation>答案解析（可选）</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>Save to:</source>
        <translation>保存到：</translation>
    </message>
    <message>
        <source>Samples</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>The current view&apos;s filter</source>
        <translation>当前视图的筛选结果</translation>
    </message>
    <message>
        <source>Accepted samples only</source>
        <translation>仅已通过的样本</translation>
    </message>
    <message>
        <source>Everything</source>
        <translation>全部样本</translation>
    </message>
    <message>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <source>new</source>
        <translation>未审核</translation>
    </message>
    <message>
        <source>in review</source>
        <translation>审核中</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>已通过</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>needs fix</source>
        <translation>需修改</translation>
    </message>
    <message>
        <source>1 directly usable</source>
        <translation>1 可直接使用</translation>
    </message>
    <message>
        <source>2 usable, keep source input/output</source>
        <translation>2 可用（保留源示例输入/输出）</translation>
    </message>
    <message>
        <source>3 needs human correction</source>
        <translation>3 需人工修正</translation>
    </message>
    <message>
        <source>4 unusable</source>
        <translation>4 不可用</translation>
    </message>
    <message>
        <source>≥ {0}</source>
        <translation>≥ {0}</translation>
    </message>
    <message>
        <source>Only samples with</source>
        <translation>仅导出符合以下条件的样本</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <source>COIG label:</source>
        <translation>COIG 标签：</translation>
    </message>
    <message>
        <source>Rating:</source>
        <translation>评分：</translation>
    </message>
    <message>
        <source>Subset:</source>
        <translation>子集：</translation>
    </message>
    <message>
        <source>Include provenance (source file and line, machine drafts, edits, reviews) under “_winnow”</source>
        <translation>在“_winnow”字段中附带来源信息（源文件与行号、机器译稿、编辑、审核）</translation>
    </message>
    <message>
        <source>Add an entry to dataset_info.json for LLaMA-Factory</source>
        <translation>为 LLaMA-Factory 在 dataset_info.json 中添加条目</translation>
    </message>
    <message>
        <source>Cancel export</source>
        <translation>取消导出</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>LLaMA-Factory cannot read this format</source>
        <translation>LLaMA-Factory 无法读取此格式</translation>
    </message>
    <message>
        <source>Export to</source>
        <translation>导出到</translation>
    </message>
    <message>
        <source>{0} (*{1})</source>
        <translation>{0} (*{1})</translation>
    </message>
    <message>
        <source>{0:,} samples match</source>
        <translation>符合条件的样本：{0:,} 个</translation>
    </message>
    <message>
        <source>Choose the file to write.</source>
        <translation>请选择要写入的文件。</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Exporting… {0:,} of {1:,}</source>
        <translation>正在导出… {0:,} / {1:,}</translation>
    </message>
    <message>
        <source>Wrote {0:,} samples to {1}</source>
        <translation>已将 {0:,} 个样本写入 {1}</translation>
    </message>
    <message>
        <source>Left out {0:,} {1} samples: this format cannot hold them</source>
        <translation>略过 {0:,} 个 {1} 样本：此格式无法容纳</translation>
    </message>
    <message>
        <source>Updated {0}</source>
        <translation>已更新 {0}</translation>
    </message>
    <message>
        <source>Not exported: {0}</source>
        <translation>未导出：{0}</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>Annotator</source>
        <translation>标注员</translation>
    </message>
    <message>
        <source>Inspector</source>
        <translation>质检员</translation>
    </message>
    <message>
        <source>Expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>Your name and role</source>
        <translation>你的姓名和角色</translation>
    </message>
    <message>
        <source>The changes you make from now on are recorded under this name; what is done stays as it was.</source>
        <translation>从现在起你所做的修改都记在这个名字下；已经做过的保持不变。</translation>
    </message>
    <message>
        <source>Welcome to Winnow</source>
        <translation>欢迎使用 Winnow</translation>
    </message>
    <message>
        <source>Choose the language of the program and say who you are: every change you make is recorded under your name. Then the demo project opens, to try things out.</source>
        <translation>请选择程序的界面语言，并填写你的身份：你的每项修改都会以你的名字记录。之后将打开演示项目，供你试用。</translation>
    </message>
    <message>
        <source>Your &amp;name</source>
        <translation>你的姓名(&amp;N)</translation>
    </message>
    <message>
        <source>Your &amp;role</source>
        <translation>你的角色(&amp;R)</translation>
    </message>
    <message>
        <source>As your team knows you, e.g. 张伟</source>
        <translation>团队对你的称呼，如 张伟</translation>
    </message>
    <message>
        <source>&amp;Start</source>
        <translation>开始(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;OK</source>
        <translation>确定(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
</context>
<context>
    <name>GatePanel</name>
    <message>
        <source>QA gate</source>
        <translation>质检关卡</translation>
    </message>
    <message>
        <source>You: {name} ({role})</source>
        <translation>你：{name}（{role}）</translation>
    </message>
    <message>
        <source>Sample</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>Machine draft → final</source>
        <translation>机器草稿 → 定稿</translation>
    </message>
    <message>
        <source>Comment for the annotator (optional)</source>
        <translation>给标注员的备注（可选）</translation>
    </message>
    <message>
        <source>&amp;Agree (Y)</source>
        <translation>同意(&amp;A) (Y)</translation>
    </message>
    <message>
        <source>&amp;Disagree (N)</source>
        <translation>不同意(&amp;D) (N)</translation>
    </message>
    <message>
        <source>Record the &amp;verdict</source>
        <translation>记录判定(&amp;V)</translation>
    </message>
    <message>
        <source>Send &amp;back for rework</source>
        <translation>退回返工(&amp;B)</translation>
    </message>
    <message>
        <source>Start the &amp;correction phase</source>
        <translation>开始修正阶段(&amp;C)</translation>
    </message>
    <message>
        <source>Save a work &amp;package for the rework…</source>
        <translation>保存返工用的工作包(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>Batch:</source>
        <translation>批次：</translation>
    </message>
    <message>
        <source>Reason if wrong:</source>
        <translation>错误原因：</translation>
    </message>
    <message>
        <source>Comment:</source>
        <translation>备注：</translation>
    </message>
    <message>
        <source>annotator</source>
        <translation>标注员</translation>
    </message>
    <message>
        <source>inspector</source>
        <translation>质检员</translation>
    </message>
    <message>
        <source>expert</source>
        <translation>专家</translation>
    </message>
    <message>
        <source>draft changed a lot</source>
        <translation>草稿改动很大</translation>
    </message>
    <message>
        <source>label 3, draft barely changed</source>
        <translation>标签 3，但草稿几乎未改</translation>
    </message>
    <message>
        <source>decided very fast</source>
        <translation>判定过快</translation>
    </message>
    <message>
        <source>No batches yet: assign samples in the Team menu first.</source>
        <translation>尚无批次：请先在“团队”菜单中分配样本。</translation>
    </message>
    <message>
        <source>annotation</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>correction</source>
        <translation>修正</translation>
    </message>
    <message>
        <source>Failed in the {phase} phase, rework round {round}: send it back to {who}.</source>
        <translation>{phase}阶段未通过（返工轮次 {round}）：请退回给 {who}。</translation>
    </message>
    <message>
        <source>Passed both gates of the {phase} phase (rework rounds: {round}).</source>
        <translation>已通过{phase}阶段的两关（返工轮次：{round}）。</translation>
    </message>
    <message>
        <source>Stage 1: an inspector checks every annotated sample ({n}); passes at {threshold} agreed.</source>
        <translation>第 1 关：质检员检查每个已标注样本（{n} 个）；同意率达到 {threshold} 即通过。</translation>
    </message>
    <message>
        <source>Stage 2: an expert checks {n} samples drawn at random (seeded); passes at {threshold} right.</source>
        <translation>第 2 关：专家检查随机抽取（固定种子）的 {n} 个样本；正确率达到 {threshold} 即通过。</translation>
    </message>
    <message>
        <source>{phase} phase, rework round {round}, annotator {who}</source>
        <translation>{phase}阶段，返工轮次 {round}，标注员 {who}</translation>
    </message>
    <message>
        <source>&amp;Start stage {n}</source>
        <translation>开始第 {n} 关(&amp;S)</translation>
    </message>
    <message>
        <source>{agreed} of {checked} agreed ({share}); {disagreed} wrong, {allowed} allowed in the whole stage.</source>
        <translation>已检查 {checked} 个，同意 {agreed} 个（{share}）；错误 {disagreed} 个，本关最多允许 {allowed} 个。</translation>
    </message>
    <message>
        <source>Nothing checked yet.</source>
        <translation>尚未检查任何样本。</translation>
    </message>
    <message>
        <source>&lt;b style=&apos;color:#009E73&apos;&gt;Verdict: passes&lt;/b&gt;</source>
        <translation>&lt;b style=&apos;color:#009E73&apos;&gt;判定：通过&lt;/b&gt;</translation>
    </message>
    <message>
        <source>&lt;b style=&apos;color:#D55E00&apos;&gt;Verdict: fails&lt;/b&gt;</source>
        <translation>&lt;b style=&apos;color:#D55E00&apos;&gt;判定：未通过&lt;/b&gt;</translation>
    </message>
    <message>
        <source>… and {n} more</source>
        <translation>…… 另有 {n} 个</translation>
    </message>
    <message>
        <source>Found wrong ({n}):</source>
        <translation>判为错误（{n}）：</translation>
    </message>
    <message>
        <source>Folder for the package</source>
        <translation>工作包保存文件夹</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <source>Wrote {file} for {who}.</source>
        <translation>已为 {who} 写入 {file}。</translation>
    </message>
    <message>
        <source>Sample #{id}</source>
        <translation>样本 #{id}</translation>
    </message>
    <message>
        <source>label {label}</source>
        <translation>标签 {label}</translation>
    </message>
    <message>
        <source>decided in {s:.0f} s</source>
        <translation>用时 {s:.0f} 秒</translation>
    </message>
    <message>
        <source>draft changed {share}</source>
        <translation>草稿改动 {share}</translation>
    </message>
    <message>
        <source>agreed</source>
        <translation>同意</translation>
    </message>
    <message>
        <source>disagreed: {reason}</source>
        <translation>不同意：{reason}</translation>
    </message>
    <message>
        <source>checked by {who}, {verdict}</source>
        <translation>{who} 检查：{verdict}</translation>
    </message>
    <message>
        <source>Not done</source>
        <translation>未完成</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>Version</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>By</source>
        <translation>修改人</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Revert to this version</source>
        <translation>恢复到此版本</translation>
    </message>
    <message>
        <source>No edits yet: the content is as imported.</source>
        <translation>尚无编辑：内容与导入时一致。</translation>
    </message>
    <message>
        <source>Revisions</source>
        <translation>修订记录</translation>
    </message>
    <message>
        <source>Origin (as imported)</source>
        <translation>来源（导入时）</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>行号</translation>
    </message>
    <message>
        <source>Member</source>
        <translation>包内文件</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Choose a format</source>
        <translation>选择格式</translation>
    </message>
    <message>
        <source>Detect automatically</source>
        <translation>自动检测</translation>
    </message>
    <message>
        <source>The subset the samples of this file go to</source>
        <translation>此文件的样本归入的子集</translation>
    </message>
    <message>
        <source>Detected:</source>
        <translation>检测结果：</translation>
    </message>
    <message>
        <source>Read as:</source>
        <translation>读取格式：</translation>
    </message>
    <message>
        <source>Encoding:</source>
        <translation>编码：</translation>
    </message>
    <message>
        <source>Subset:</source>
        <translation>子集：</translation>
    </message>
    <message>
        <source>Column mapping (field ← column)</source>
        <translation>列映射（字段 ← 列）</translation>
    </message>
    <message>
        <source>Line</source>
        <translation>行</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Instruction / question</source>
        <translation>指令 / 问题</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Skip bad records and list them</source>
        <translation>跳过错误记录并列出</translation>
    </message>
    <message>
        <source>Abort the file at the first bad record</source>
        <translation>遇到错误记录即中止该文件</translation>
    </message>
    <message>
        <source>Import even if the same file was imported before</source>
        <translation>即使同一文件已导入过也导入</translation>
    </message>
    <message>
        <source>Import again anyway</source>
        <translation>仍然再次导入</translation>
    </message>
    <message>
        <source>Import the files already in the project a second time</source>
        <translation>将项目中已有的文件再导入一次</translation>
    </message>
    <message>
        <source>Cancel import</source>
        <translation>取消导入</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Could not tell the format: {0}. Choose one below.</source>
        <translation>无法判断格式：{0}。请在下方选择。</translation>
    </message>
    <message>
        <source>detected {0} (confidence {1}; also possible: {2})</source>
        <translation>检测为 {0}（置信度 {1}；也可能是：{2}）</translation>
    </message>
    <message>
        <source>detected {0} (confidence {1})</source>
        <translation>检测为 {0}（置信度 {1}）</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Choose a format to see the first records.</source>
        <translation>选择格式后可预览前几条记录。</translation>
    </message>
    <message>
        <source>Cannot read the file as {0}: {1}</source>
        <translation>无法按 {0} 读取此文件：{1}</translation>
    </message>
    <message numerus="yes">
        <source>The first %n record(s) as {0} reads them</source>
        <translation>
            <numerusform>按 {0} 读取的前 %n 条记录</numerusform>
        </translation>
    </message>
    <message>
        <source> — {0} bad (in red)</source>
        <translation>，其中 {0} 条有误（红色）</translation>
    </message>
    <message>
        <source>bad</source>
        <translation>有误</translation>
    </message>
    <message>
        <source>Choose a column for instruction, output, messages or the exam fields.</source>
        <translation>请为指令、输出、消息或考试题字段选择列。</translation>
    </message>
    <message>
        <source>Choose a format for: {0}</source>
        <translation>请为以下文件选择格式：{0}</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>{0:,} records so far</source>
        <translation>已读取 {0:,} 条记录</translation>
    </message>
    <message>
        <source>Imported {0:,} samples from {1} of {2} files; see the result for the others</source>
        <translation>已从 {2} 个文件中的 {1} 个导入 {0:,} 个样本；其余文件见“结果”页</translation>
    </message>
    <message>
        <source>Imported {0:,} samples</source>
        <translation>已导入 {0:,} 个样本</translation>
    </message>
    <message>
        <source>The import stopped with an error: {0}</source>
        <translation>导入因错误中止：{0}</translation>
    </message>
    <message>
        <source>The import failed; nothing of the current file was imported</source>
        <translation>导入失败，当前文件未导入任何内容</translation>
    </message>
    <message>
        <source>✔ {0}: imported {1:,} samples into subset “{2}” (source #{3})</source>
        <translation>✔ {0}：已导入 {1:,} 个样本到子集“{2}”（来源 #{3}）</translation>
    </message>
    <message numerus="yes">
        <source>, skipped %n bad record(s):</source>
        <translation>
            <numerusform>，跳过 %n 条错误记录：</numerusform>
        </translation>
    </message>
    <message>
        <source>    … and {0:,} more</source>
        <translation>    …… 另有 {0:,} 条</translation>
    </message>
    <message>
        <source>✘ {0}: not imported, it is already in the project. {1}</source>
        <translation>✘ {0}：未导入，项目中已有此文件。{1}</translation>
    </message>
    <message>
        <source>    Use “Import again anyway” to import it a second time.</source>
        <translation>    如需再次导入，请点击“仍然再次导入”。</translation>
    </message>
    <message>
        <source>✘ {0}: cancelled; nothing of the file was imported</source>
        <translation>✘ {0}：已取消，此文件未导入任何内容</translation>
    </message>
    <message>
        <source>✘ {0}: not imported: {1}</source>
        <translation>✘ {0}：未导入：{1}</translation>
    </message>
</context>
<context>
    <name>InstructionPane</name>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Rendered</source>
        <translation>渲染</translation>
    </message>
    <message>
        <source>Show the output as rendered Markdown (read-only)</source>
        <translation>以渲染后的 Markdown 显示输出（只读）</translation>
    </message>
    <message>
        <source>Earlier rounds (history)</source>
        <translation>之前的轮次（历史）</translation>
    </message>
    <message>
        <source>Put the draft&apos;s fields into the sample (undoable)</source>
        <translation>将草稿的各字段填入样本（可撤销）</translation>
    </message>
    <message>
        <source>Round {number} · question</source>
        <translation>第 {number} 轮 · 问题</translation>
    </message>
    <message>
        <source>Round {number} · answer</source>
        <translation>第 {number} 轮 · 回答</translation>
    </message>
    <message>
        <source>Raw</source>
        <translation>源码</translation>
    </message>
</context>
<context>
    <name>JobRow</name>
    <message>
        <source>Job {id}: {task}, {engine}</source>
        <translation>作业 {id}：{task}，{engine}</translation>
    </message>
    <message>
        <source>Retry failed</source>
        <translation>重试失败项</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>sample {sample}: {reason}</source>
        <translation>样本 {sample}：{reason}</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>stopped by an error</source>
        <translation>因错误停止</translation>
    </message>
    <message>
        <source>{done} done</source>
        <translation>完成 {done}</translation>
    </message>
    <message>
        <source>{rate} items/s</source>
        <translation>{rate} 条/秒</translation>
    </message>
    <message>
        <source>about {time} left</source>
        <translation>约剩 {time}</translation>
    </message>
    <message>
        <source>{characters} characters</source>
        <translation>{characters} 字符</translation>
    </message>
    <message>
        <source>{tokens} tokens</source>
        <translation>{tokens} 词元</translation>
    </message>
    <message>
        <source>{count} failed</source>
        <translation>失败 {count}</translation>
    </message>
</context>
<context>
    <name>JobsController</name>
    <message>
        <source>Machine jobs</source>
        <translation>机器作业</translation>
    </message>
    <message>
        <source>&amp;Jobs</source>
        <translation>作业(&amp;J)</translation>
    </message>
    <message>
        <source>&amp;Run a machine job…</source>
        <translation>运行机器作业(&amp;R)…</translation>
    </message>
    <message>
        <source>Show the &amp;jobs panel</source>
        <translation>显示作业面板(&amp;J)</translation>
    </message>
    <message>
        <source>Kun pipeline: {passed} samples ready for review; {aside} set aside by the filters</source>
        <translation>Kun 流水线：{passed} 个样本待审核；{aside} 个被过滤条件搁置</translation>
    </message>
    <message>
        <source>Kun pipeline stopped: {message}; run it again to continue</source>
        <translation>Kun 流水线已停止：{message}；再次运行即可继续</translation>
    </message>
    <message>
        <source>Writing LeetCode instructions…</source>
        <translation>正在编写 LeetCode 指令…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>{created} LeetCode instruction samples written ({already} were already there)</source>
        <translation>已写入 {created} 个 LeetCode 指令样本（{already} 个此前已有）</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
</context>
<context>
    <name>JobsPanel</name>
    <message>
        <source>No machine jobs in this project yet.</source>
        <translation>本项目还没有机器作业。</translation>
    </message>
    <message>
        <source>Run a machine job…</source>
        <translation>运行机器作业…</translation>
    </message>
</context>
<context>
    <name>LanguageMenu</name>
    <message>
        <source>Winnow will show the new language the next time it starts.</source>
        <translation>Winnow 将在下次启动时显示新的界面语言。</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Sample</source>
        <translation>样本</translation>
    </message>
    <message>
        <source>History and origin</source>
        <translation>历史与来源</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New project…</source>
        <translation>新建项目(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>Open &amp;recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Import…</source>
        <translation>导入(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Back up now</source>
        <translation>立即备份(&amp;B)</translation>
    </message>
    <message>
        <source>Restore a &amp;backup…</source>
        <translation>恢复备份(&amp;B)…</translation>
    </message>
    <message>
        <source>Your &amp;name and role…</source>
        <translation>你的姓名和角色(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Set &amp;label of the selection…</source>
        <translation>设置所选样本的标签(&amp;L)…</translation>
    </message>
    <message>
        <source>Set &amp;status of the selection…</source>
        <translation>设置所选样本的状态(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Assign the selection to…</source>
        <translation>将所选样本分配给(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>Your name and role</source>
        <translation>你的姓名和角色</translation>
    </message>
    <message>
        <source>Changes are still recorded as {name}: the WINNOW_USER environment variable says so.</source>
        <translation>修改仍记在 {name} 名下：环境变量 WINNOW_USER 如此指定。</translation>
    </message>
    <message>
        <source> (read-only)</source>
        <translation>（只读）</translation>
    </message>
    <message>
        <source>New project</source>
        <translation>新建项目</translation>
    </message>
    <message>
        <source>Winnow projects (*.winnow)</source>
        <translation>Winnow 项目 (*.winnow)</translation>
    </message>
    <message>
        <source>Cannot create the project</source>
        <translation>无法创建项目</translation>
    </message>
    <message>
        <source>Open project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <source>Winnow projects and work packages (*.winnow *.winnowpkg)</source>
        <translation>Winnow 项目和工作包 (*.winnow *.winnowpkg)</translation>
    </message>
    <message>
        <source>(none yet)</source>
        <translation>（暂无）</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>正在保存…</translation>
    </message>
    <message>
        <source>Not saved: {error}</source>
        <translation>未保存：{error}</translation>
    </message>
    <message>
        <source>Your edit was not saved</source>
        <translation>你的修改未保存</translation>
    </message>
    <message>
        <source>All changes saved</source>
        <translation>所有更改已保存</translation>
    </message>
    <message>
        <source>Every sample in this list is decided.</source>
        <translation>此列表中的样本已全部判定。</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <source>Nothing to undo.</source>
        <translation>没有可撤销的操作。</translation>
    </message>
    <message>
        <source>Nothing to redo.</source>
        <translation>没有可重做的操作。</translation>
    </message>
    <message>
        <source>&amp;Undo {what}</source>
        <translation>撤销(&amp;U)：{what}</translation>
    </message>
    <message>
        <source>&amp;Redo {what}</source>
        <translation>重做(&amp;R)：{what}</translation>
    </message>
    <message>
        <source>For {n} samples:</source>
        <translation>应用于 {n} 个样本：</translation>
    </message>
    <message>
        <source>Set label</source>
        <translation>设置标签</translation>
    </message>
    <message>
        <source>Set status</source>
        <translation>设置状态</translation>
    </message>
    <message>
        <source>Assign</source>
        <translation>分配</translation>
    </message>
    <message>
        <source>Assign {n} samples to:</source>
        <translation>将 {n} 个样本分配给：</translation>
    </message>
    <message>
        <source>Wait until the change of {n} samples is made: it is backing up first.</source>
        <translation>请等 {n} 个样本的更改完成：正在先备份。</translation>
    </message>
    <message>
        <source>The change of {n} samples was cancelled; nothing was changed.</source>
        <translation>已取消对 {n} 个样本的更改，未作任何改动。</translation>
    </message>
    <message>
        <source>Backing up before changing {n} samples…</source>
        <translation>更改 {n} 个样本前正在备份…</translation>
    </message>
    <message>
        <source>The backup before changing {n} samples could not be taken.</source>
        <translation>更改 {n} 个样本前的备份未能完成。</translation>
    </message>
    <message>
        <source>{error}

Change them anyway, without a backup? Edit ▸ Undo can still take the change back, but there will be no copy of the project from before it.</source>
        <translation>{error}

仍要在没有备份的情况下更改吗？“编辑 ▸ 撤销”仍可撤回这次更改，但不会留下更改前的项目副本。</translation>
    </message>
    <message>
        <source>Change without a backup</source>
        <translation>不备份，直接更改</translation>
    </message>
    <message>
        <source>Import files</source>
        <translation>导入文件</translation>
    </message>
    <message>
        <source>Backup failed: {error}</source>
        <translation>备份失败：{error}</translation>
    </message>
    <message>
        <source>Backed up to {path}</source>
        <translation>已备份到 {path}</translation>
    </message>
    <message>
        <source>Backing up…</source>
        <translation>正在备份…</translation>
    </message>
    <message>
        <source>Backup failed</source>
        <translation>备份失败</translation>
    </message>
    <message>
        <source>Cancel the change</source>
        <translation>取消更改</translation>
    </message>
    <message>
        <source>Backed up at {time}</source>
        <translation>已于 {time} 备份</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>There are no backups of this project yet.</source>
        <translation>此项目还没有备份。</translation>
    </message>
    <message>
        <source>Restore a backup</source>
        <translation>恢复备份</translation>
    </message>
    <message>
        <source>Backup:</source>
        <translation>备份：</translation>
    </message>
    <message>
        <source>Cannot restore the backup</source>
        <translation>无法恢复备份</translation>
    </message>
</context>
<context>
    <name>OpenFlow</name>
    <message>
        <source>Cannot open the project</source>
        <translation>无法打开项目</translation>
    </message>
    <message>
        <source>The project is in use</source>
        <translation>项目正被占用</translation>
    </message>
    <message>
        <source>Open read-only</source>
        <translation>以只读方式打开</translation>
    </message>
    <message>
        <source>The project is damaged</source>
        <translation>项目文件已损坏</translation>
    </message>
    <message>
        <source>There is no backup of it to restore.</source>
        <translation>没有可用于恢复的备份。</translation>
    </message>
    <message>
        <source>Restore the latest backup, taken {0} ({1})? The damaged file is kept beside it.</source>
        <translation>恢复最新的备份（创建于 {0}，{1}）？损坏的文件会保留在同一文件夹中。</translation>
    </message>
    <message>
        <source>Restore the latest backup</source>
        <translation>恢复最新备份</translation>
    </message>
    <message>
        <source>Cannot restore the backup</source>
        <translation>无法恢复备份</translation>
    </message>
</context>
<context>
    <name>PrinciplesChecklist</name>
    <message>
        <source>COIG human-value principles</source>
        <translation>COIG 人类价值观原则</translation>
    </message>
    <message>
        <source>Widely shared values of the Chinese-speaking world, not regional ones</source>
        <translation>体现华语世界普遍认同的价值观，而非地域性价值观</translation>
    </message>
    <message>
        <source>No political propaganda, religion or disputed claims</source>
        <translation>不含政治宣传、宗教或有争议的主张</translation>
    </message>
    <message>
        <source>Not merely explaining a proverb or a quote</source>
        <translation>不只是解释谚语或名言</translation>
    </message>
    <message>
        <source>Keep the sample only if all three hold.</source>
        <translation>三条全部满足才保留该样本。</translation>
    </message>
</context>
<context>
    <name>QaMenu</name>
    <message>
        <source>&amp;Gates</source>
        <translation>质检(&amp;G)</translation>
    </message>
    <message>
        <source>QA &amp;dashboard…</source>
        <translation>质检仪表板(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Check a batch (stage 1 / stage 2)…</source>
        <translation>检查批次（第 1 关 / 第 2 关）(&amp;C)…</translation>
    </message>
    <message>
        <source>QA gate &amp;settings…</source>
        <translation>质检关卡设置(&amp;S)…</translation>
    </message>
</context>
<context>
    <name>QaSettingsDialog</name>
    <message>
        <source>QA gate settings</source>
        <translation>质检关卡设置</translation>
    </message>
    <message>
        <source>Stage 1 passes at (agreed):</source>
        <translation>第 1 关通过线（同意率）：</translation>
    </message>
    <message>
        <source>Stage 2 sample size:</source>
        <translation>第 2 关抽样数：</translation>
    </message>
    <message>
        <source>Stage 2 passes at (right):</source>
        <translation>第 2 关通过线（正确率）：</translation>
    </message>
    <message>
        <source>Stage 2 seed:</source>
        <translation>第 2 关随机种子：</translation>
    </message>
    <message>
        <source>Inspect first if decided in under:</source>
        <translation>优先检查判定用时少于：</translation>
    </message>
    <message>
        <source>… or the draft changed at least:</source>
        <translation>……或草稿改动至少：</translation>
    </message>
    <message>
        <source>… or labelled 3 with the draft changed at most:</source>
        <translation>……或标为 3 且草稿改动至多：</translation>
    </message>
    <message>
        <source>Error list (one reason a line):</source>
        <translation>错误原因列表（每行一条）：</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
</context>
<context>
    <name>QualityMenu</name>
    <message>
        <source>&amp;Quality</source>
        <translation>质量(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Re-check the samples in the list</source>
        <translation>重新检查列表中的样本(&amp;R)</translation>
    </message>
    <message>
        <source>Find &amp;near-duplicates in the list…</source>
        <translation>查找列表中的近似重复(&amp;N)…</translation>
    </message>
    <message>
        <source>Convert &amp;Traditional to Simplified in the list…</source>
        <translation>将列表中的繁体转为简体(&amp;T)…</translation>
    </message>
    <message>
        <source>Show &amp;flagged samples</source>
        <translation>显示已标记的样本(&amp;F)</translation>
    </message>
    <message>
        <source>Checking samples…</source>
        <translation>正在检查样本…</translation>
    </message>
    <message>
        <source>Find near-duplicates</source>
        <translation>查找近似重复</translation>
    </message>
    <message>
        <source>Flag a sample whose text shares at least this share of its 5-character pieces with an earlier one (nothing is deleted; undo takes the flags back):</source>
        <translation>若样本文本中与之前某个样本相同的 5 字片段所占比例不低于此值，就标记该样本（不删除任何内容；撤销即可取消标记）：</translation>
    </message>
    <message>
        <source>Looking for near-duplicates…</source>
        <translation>正在查找近似重复…</translation>
    </message>
    <message>
        <source>Convert to Simplified</source>
        <translation>转为简体</translation>
    </message>
    <message>
        <source>Convert every sample in the list to Simplified Chinese (OpenCC)? Translation sources are left as they are. One undo takes the whole conversion back.</source>
        <translation>将列表中的所有样本转换为简体中文（OpenCC）？翻译原文保持不变。撤销一次即可撤回整个转换。</translation>
    </message>
    <message>
        <source>Converting to Simplified…</source>
        <translation>正在转为简体…</translation>
    </message>
    <message>
        <source>A quality task is already running.</source>
        <translation>已有质量检查任务在运行。</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Quality</source>
        <translation>质量</translation>
    </message>
    <message>
        <source>Checked {n} samples: {flagged} flagged.</source>
        <translation>已检查 {n} 个样本：标记了 {flagged} 个。</translation>
    </message>
    <message>
        <source>Compared {n} samples: {pairs} near-duplicates flagged.</source>
        <translation>已比较 {n} 个样本：标记了 {pairs} 处近似重复。</translation>
    </message>
    <message>
        <source>Converted {changed} of {n} samples to Simplified.</source>
        <translation>已将 {n} 个样本中的 {changed} 个转为简体。</translation>
    </message>
</context>
<context>
    <name>QualityPanel</name>
    <message>
        <source>(+{n} more)</source>
        <translation>（另有 {n} 条）</translation>
    </message>
    <message>
        <source>Ignored by {who} ({when} UTC): </source>
        <translation>已由 {who} 忽略（{when} UTC）：</translation>
    </message>
    <message>
        <source>Ignore</source>
        <translation>忽略</translation>
    </message>
    <message>
        <source>This flag is wrong for this sample: hide it (recorded with your name; undo brings it back)</source>
        <translation>此标记不适用于该样本：隐藏它（以你的名字记录；撤销可恢复）</translation>
    </message>
</context>
<context>
    <name>RunDialog</name>
    <message>
        <source>Run a machine job</source>
        <translation>运行机器作业</translation>
    </message>
    <message>
        <source>The selected samples ({count})</source>
        <translation>选中的样本（{count}）</translation>
    </message>
    <message>
        <source>The samples of the current filter</source>
        <translation>当前筛选的样本</translation>
    </message>
    <message>
        <source>All samples of the project</source>
        <translation>项目中的全部样本</translation>
    </message>
    <message>
        <source>Other OpenAI-compatible server</source>
        <translation>其他 OpenAI 兼容服务</translation>
    </message>
    <message>
        <source>chosen by the key (Free or Pro)</source>
        <translation>按密钥自动选择（Free 或 Pro）</translation>
    </message>
    <message>
        <source>type or paste a new key to store it</source>
        <translation>输入或粘贴新密钥以保存</translation>
    </message>
    <message>
        <source>Requests in flight at once</source>
        <translation>同时进行的请求数</translation>
    </message>
    <message>
        <source>DeepL takes up to 50 texts in one request</source>
        <translation>DeepL 每个请求最多 50 段文本</translation>
    </message>
    <message>
        <source>characters</source>
        <translation>字符</translation>
    </message>
    <message>
        <source>tokens</source>
        <translation>词元</translation>
    </message>
    <message>
        <source>{unit}: no limit</source>
        <translation>{unit}：不限</translation>
    </message>
    <message>
        <source>cost</source>
        <translation>费用</translation>
    </message>
    <message>
        <source>Estimating…</source>
        <translation>正在估算…</translation>
    </message>
    <message>
        <source>Task:</source>
        <translation>任务：</translation>
    </message>
    <message>
        <source>Samples:</source>
        <translation>样本：</translation>
    </message>
    <message>
        <source>Service:</source>
        <translation>服务：</translation>
    </message>
    <message>
        <source>DeepL server:</source>
        <translation>DeepL 服务器：</translation>
    </message>
    <message>
        <source>Base URL:</source>
        <translation>接口地址：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <source>Concurrency:</source>
        <translation>并发数：</translation>
    </message>
    <message>
        <source>Samples per request:</source>
        <translation>每请求样本数：</translation>
    </message>
    <message>
        <source>Budget:</source>
        <translation>预算：</translation>
    </message>
    <message>
        <source>The same seed gives the same task types and templates</source>
        <translation>相同的种子总得到相同的任务类型和模板</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>随机种子：</translation>
    </message>
    <message>
        <source>Pairs the self-curation step scores lower are set aside (flagged)</source>
        <translation>自我筛选评分低于此值的问答对将被搁置（并标记）</translation>
    </message>
    <message>
        <source>Minimum score:</source>
        <translation>最低分：</translation>
    </message>
    <message>
        <source>Take scores and polished answers that pass (else: drafts for review)</source>
        <translation>直接采用达标的评分和润色后的回答（否则作为草稿待审核）</translation>
    </message>
    <message>
        <source>Estimate:</source>
        <translation>估算：</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>The same seed shows the same examples in each request; another seed, others</source>
        <translation>同一个种子让每次请求给出同样的示例；换一个种子，示例也随之不同</translation>
    </message>
    <message>
        <source>The key in the environment variable {name} is used.</source>
        <translation>使用环境变量 {name} 中的密钥。</translation>
    </message>
    <message>
        <source>Key saved in {place}.</source>
        <translation>密钥已保存在{place}。</translation>
    </message>
    <message>
        <source>This server needs no key.</source>
        <translation>此服务无需密钥。</translation>
    </message>
    <message>
        <source>No key saved yet.</source>
        <translation>尚未保存密钥。</translation>
    </message>
    <message>
        <source>the system keyring</source>
        <translation>系统钥匙串</translation>
    </message>
    <message>
        <source>{path} (readable only by you)</source>
        <translation>{path}（仅你可读）</translation>
    </message>
    <message>
        <source>The key could not be saved: {error}</source>
        <translation>无法保存密钥：{error}</translation>
    </message>
    <message>
        <source>No samples to send.</source>
        <translation>没有要发送的样本。</translation>
    </message>
    <message>
        <source>{problems} LeetCode problems among {samples} samples: {count} instruction samples to write ({already} more were written before with this seed)</source>
        <translation>{samples} 个样本中有 {problems} 道 LeetCode 题目：将编写 {count} 个指令样本（另有 {already} 个此前已用此种子写过）</translation>
    </message>
    <message>
        <source>{items} samples to send ({cached} answered from the cache, {skipped} skipped): about {characters} characters, {tokens} tokens, ${cost}</source>
        <translation>待发送 {items} 个样本（{cached} 个取自缓存，跳过 {skipped} 个）：约 {characters} 字符、{tokens} 词元、${cost}</translation>
    </message>
</context>
<context>
    <name>SampleBrowser</name>
    <message>
        <source>Search the text…</source>
        <translation>搜索文本…</translation>
    </message>
    <message>
        <source>Full-text search: every word must occur. Enter searches now, Esc clears.</source>
        <translation>全文搜索：须包含每个词。按 Enter 立即搜索，按 Esc 清空。</translation>
    </message>
    <message>
        <source>Current sample / samples in the list</source>
        <translation>当前样本 / 列表中的样本数</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>{current} / {count}</source>
        <translation>{current} / {count}</translation>
    </message>
    <message>
        <source>{current} / {count}+ …</source>
        <translation>{current} / {count}+ …</translation>
    </message>
</context>
<context>
    <name>SampleTableModel</name>
    <message>
        <source>Id</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Subset</source>
        <translation>子集</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>标签</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Flags</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>Translation</source>
        <translation>翻译</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Exam</source>
        <translation>考试</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>New</source>
        <translation>未审核</translation>
    </message>
    <message>
        <source>In review</source>
        <translation>审核中</translation>
    </message>
    <message>
        <source>Accepted</source>
        <translation>已通过</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <source>Needs fix</source>
        <translation>需修改</translation>
    </message>
    <message>
        <source>1 Usable</source>
        <translation>1 可直接使用</translation>
    </message>
    <message>
        <source>2 Usable, keep source I/O</source>
        <translation>2 可用（保留源输入/输出）</translation>
    </message>
    <message>
        <source>3 Needs correction</source>
        <translation>3 需人工修正</translation>
    </message>
    <message>
        <source>4 Unusable</source>
        <translation>4 不可用</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Label 1 · directly usable — accept, save, next</source>
        <translation>标签 1 · 可直接使用 — 通过、保存、下一条</translation>
    </message>
    <message>
        <source>Label 2 · usable, keep the source example — accept, save, next</source>
        <translation>标签 2 · 可用（保留源示例输入/输出）— 通过、保存、下一条</translation>
    </message>
    <message>
        <source>Label 3 · needs human correction — save, next</source>
        <translation>标签 3 · 需人工修正 — 保存、下一条</translation>
    </message>
    <message>
        <source>Label 4 · unusable — reject, save, next</source>
        <translation>标签 4 · 不可用 — 拒绝、保存、下一条</translation>
    </message>
    <message>
        <source>Accept — save, next</source>
        <translation>通过 — 保存、下一条</translation>
    </message>
    <message>
        <source>Reject — save, next</source>
        <translation>拒绝 — 保存、下一条</translation>
    </message>
    <message>
        <source>Needs fix — save, next</source>
        <translation>需修改 — 保存、下一条</translation>
    </message>
    <message>
        <source>Skip to the next undecided sample</source>
        <translation>跳过，转到下一条未判定的样本</translation>
    </message>
    <message>
        <source>Next sample</source>
        <translation>下一条样本</translation>
    </message>
    <message>
        <source>Previous sample</source>
        <translation>上一条样本</translation>
    </message>
    <message>
        <source>Edit: put the cursor in the first field</source>
        <translation>编辑：光标移到第一个字段</translation>
    </message>
    <message>
        <source>Write a comment for the next verdict</source>
        <translation>为下一个判定写备注</translation>
    </message>
    <message>
        <source>Leave the text field (back to the list)</source>
        <translation>离开文本框（回到列表）</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Undo (also after a restart)</source>
        <translation>撤销（重启后仍可撤销）</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Show this list</source>
        <translation>显示此列表</translation>
    </message>
    <message>
        <source>Rate {n} of 5 (stays on the sample)</source>
        <translation>评 {n} 分（满分 5 分，停留在当前样本）</translation>
    </message>
</context>
<context>
    <name>Tasks</name>
    <message>
        <source>Translate into Chinese</source>
        <translation>翻译为中文</translation>
    </message>
    <message>
        <source>LeetCode instructions from templates</source>
        <translation>用模板生成 LeetCode 指令</translation>
    </message>
    <message>
        <source>Extract the six exam fields</source>
        <translation>提取考试题的六个字段</translation>
    </message>
    <message>
        <source>Expand seed instructions (Self-Instruct)</source>
        <translation>扩展种子指令（Self-Instruct）</translation>
    </message>
    <message>
        <source>Write a CCMC correction chat</source>
        <translation>编写 CCMC 纠错对话</translation>
    </message>
    <message>
        <source>Kun: instruction back-translation</source>
        <translation>Kun：指令回译</translation>
    </message>
    <message>
        <source>Kun: self-curation score</source>
        <translation>Kun：自我筛选评分</translation>
    </message>
    <message>
        <source>Kun: answer polishing</source>
        <translation>Kun：回答润色</translation>
    </message>
    <message>
        <source>Rewrite weak answers</source>
        <translation>改写质量差的回答</translation>
    </message>
    <message>
        <source>Judge answers (1–5 with a rationale)</source>
        <translation>评判回答（1–5 分，附理由）</translation>
    </message>
    <message>
        <source>Kun pipeline (instruction → score → polish, with filters)</source>
        <translation>Kun 流水线（指令 → 评分 → 润色，含过滤）</translation>
    </message>
</context>
<context>
    <name>TeamActions</name>
    <message>
        <source>&amp;Team</source>
        <translation>团队(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Assign and send packages…</source>
        <translation>分配并发送工作包(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Merge returned packages…</source>
        <translation>合并交回的工作包(&amp;M)…</translation>
    </message>
    <message>
        <source>A&amp;djudicate…</source>
        <translation>裁决(&amp;D)…</translation>
    </message>
    <message>
        <source>Work package {batch} for {who} from {project}: your changes are saved in this file; send it back when you are done.</source>
        <translation>来自 {project} 的工作包 {batch}（给 {who}）：你的修改保存在此文件中，完成后请发回。</translation>
    </message>
    <message>
        <source>A&amp;djudicate ({n} waiting)…</source>
        <translation>裁决(&amp;D)（{n} 个待处理）…</translation>
    </message>
    <message>
        <source>Merge returned packages</source>
        <translation>合并交回的工作包</translation>
    </message>
    <message>
        <source>Work packages ({pattern})</source>
        <translation>工作包 ({pattern})</translation>
    </message>
    <message>
        <source>Merging {n} packages…</source>
        <translation>正在合并 {n} 个工作包…</translation>
    </message>
    <message>
        <source>Merge failed</source>
        <translation>合并失败</translation>
    </message>
    <message>
        <source>Some packages were refused</source>
        <translation>部分工作包被拒收</translation>
    </message>
    <message>
        <source>Packages merged</source>
        <translation>工作包已合并</translation>
    </message>
    <message>
        <source>{n} samples wait for adjudication. Adjudicate now?</source>
        <translation>有 {n} 个样本待裁决。现在裁决吗？</translation>
    </message>
</context>
<context>
    <name>TranslationPane</name>
    <message>
        <source>Edit source</source>
        <translation>编辑原文</translation>
    </message>
    <message>
        <source>Allow changes to the English original too</source>
        <translation>也允许修改英文原文</translation>
    </message>
    <message>
        <source>Machine draft:</source>
        <translation>机器译稿：</translation>
    </message>
    <message>
        <source>Accept draft</source>
        <translation>采用草稿</translation>
    </message>
    <message>
        <source>Take every field of this machine draft as the translation</source>
        <translation>将此机器草稿的全部字段作为译文</translation>
    </message>
    <message>
        <source>Source (English)</source>
        <translation>原文（英文）</translation>
    </message>
    <message>
        <source>Target (Chinese)</source>
        <translation>译文（中文）</translation>
    </message>
    <message>
        <source>Changes to the draft</source>
        <translation>相对机器译稿的修改</translation>
    </message>
    <message>
        <source>Red, struck through: removed from the machine draft. Green, underlined: added.</source>
        <translation>红色删除线：从机器译稿中删去的内容；绿色下划线：新增的内容。</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>Input</source>
        <translation>输入</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Take this field</source>
        <translation>采用此字段</translation>
    </message>
    <message>
        <source>Replace this field of the translation with the machine draft&apos;s</source>
        <translation>用机器草稿的此字段替换译文</translation>
    </message>
    <message>
        <source>machine</source>
        <translation>机器</translation>
    </message>
</context>
<context>
    <name>VerdictBar</name>
    <message>
        <source>Accept (A)</source>
        <translation>通过 (A)</translation>
    </message>
    <message>
        <source>Reject (R)</source>
        <translation>拒绝 (R)</translation>
    </message>
    <message>
        <source>Needs fix (F)</source>
        <translation>需修改 (F)</translation>
    </message>
    <message>
        <source>Skip (S)</source>
        <translation>跳过 (S)</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Comment for the next verdict (C)</source>
        <translation>下一个判定的备注 (C)</translation>
    </message>
    <message>
        <source>Take as rating</source>
        <translation>采用为评分</translation>
    </message>
    <message>
        <source>Set the rating to the judge&apos;s score (undoable)</source>
        <translation>将评分设为评审给出的分数（可撤销）</translation>
    </message>
    <message>
        <source>Rate {n} of 5 (Alt+{n})</source>
        <translation>评 {n} 分（满分 5 分）(Alt+{n})</translation>
    </message>
    <message>
        <source>Key {n}</source>
        <translation>按键 {n}</translation>
    </message>
    <message>
        <source>Machine judge ({task}, {model}): {stars} {score}/5</source>
        <translation>机器评审（{task}，{model}）：{stars} {score}/5</translation>
    </message>
    <message>
        <source>1 Usable</source>
        <translation>1 可直接使用</translation>
    </message>
    <message>
        <source>2 Usable, keep source I/O</source>
        <translation>2 可用（保留源输入/输出）</translation>
    </message>
    <message>
        <source>3 Needs correction</source>
        <translation>3 需人工修正</translation>
    </message>
    <message>
        <source>4 Unusable</source>
        <translation>4 不可用</translation>
    </message>
</context>
<context>
    <name>widget</name>
    <message>
        <source>1 Usable</source>
        <translation>1 可直接使用</translation>
    </message>
    <message>
        <source>2 Usable, keep source I/O</source>
        <translation>2 可用（保留源输入/输出）</translation>
    </message>
    <message>
        <source>3 Needs correction</source>
        <translation>3 需人工修正</translation>
    </message>
    <message>
        <source>4 Unusable</source>
        <translation>4 不可用</translation>
    </message>
</context>
</TS>
