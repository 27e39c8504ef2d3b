"""生成本书的小型中文语料 data/corpus/zh_corpus.txt（为本书编写，CC0 1.0）。

The corpus is written for this book: hand-written sentence templates and word
lists, filled in by a seeded random generator. Every line is one sentence, words
separated by single spaces (already segmented, so nothing needs jieba at run time).
Words of one kind (fruits, animals, colours, family members, cities, ...) share the
contexts they appear in, so a small skip-gram model learns clear clusters in seconds,
and the sentences read as plain everyday Chinese, so a character language model
trained on them produces plausible text.

Deterministic: the same seed gives the same file byte for byte
(tests/test_corpus.py checks the shipped file against ``generate()``).

    .venv/bin/python scripts/make_corpus.py          # rewrite data/corpus/zh_corpus.txt
    .venv/bin/python scripts/make_corpus.py --check  # only compare, exit 1 if different
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

SEED = 2024
NUM_SENTENCES = 3000
OUT = Path(__file__).resolve().parent.parent / "data" / "corpus" / "zh_corpus.txt"

# The word lists (slot name -> words). Every word is one token of the corpus.
WORDS: dict[str, list[str]] = {
    "水果": ["苹果", "香蕉", "橘子", "葡萄", "西瓜", "草莓", "桃子", "梨"],
    "动物": ["猫", "狗", "兔子", "熊猫", "老虎", "猴子", "大象", "鸭子"],
    "颜色": ["红色", "黄色", "蓝色", "绿色", "白色", "黑色", "紫色"],
    "家人": ["爸爸", "妈妈", "哥哥", "姐姐", "弟弟", "妹妹", "爷爷", "奶奶"],
    "城市": ["北京", "上海", "广州", "杭州", "南京", "成都", "西安", "重庆"],
    "场所": ["学校", "公园", "商店", "医院", "图书馆", "超市", "银行", "车站"],
    "主食": ["米饭", "面条", "饺子", "包子", "馒头", "粥"],
    "饮料": ["牛奶", "茶", "咖啡", "果汁", "豆浆"],
    "远程交通": ["火车", "飞机", "高铁"],
    "市内交通": ["地铁", "公交车", "出租车"],
    "职业": ["老师", "医生", "司机", "警察", "厨师", "护士"],
    "时间": ["今天", "明天", "周末", "早上", "晚上", "中午"],
    "过去": ["昨天", "刚才", "上午", "昨天 晚上", "今天 早上"],
    "将来": ["明天", "周末", "下午", "明天 早上", "后天"],
    "物品": ["衣服", "帽子", "鞋子", "书包", "雨伞", "杯子"],
    "人": ["我", "你", "他", "她", "我们", "他们"],
}
# Single words that templates use with a fixed meaning.
FRUIT_TASTE = ["很 甜", "又 甜 又 香", "有点 酸", "非常 新鲜", "很 好吃"]
ANIMAL_ACT = ["在 草地 上 跑", "在 树下 睡觉", "在 院子 里 玩", "吃 得 很 多", "跑 得 很 快"]
PLACE_ACT = {
    "学校": "上课",
    "公园": "散步",
    "商店": "买 东西",
    "医院": "看病",
    "图书馆": "看书",
    "超市": "买 菜",
    "银行": "取钱",
    "车站": "等 车",
}
JOB_ACT = {
    "老师": "在 学校 上课",
    "医生": "在 医院 看病",
    "司机": "每天 开车",
    "警察": "在 路口 工作",
    "厨师": "在 饭店 做饭",
    "护士": "在 医院 照顾 病人",
}

# Templates: "{slot}" is filled with a word of that kind; "{slot2}" with a different one.
TEMPLATES: list[str] = [
    # fruits
    "{人} 喜欢 吃 {水果}",
    "{家人} 买 了 一些 {水果}",
    "这个 {水果} {fruit_taste}",
    "{过去} 我 吃 了 一个 {水果}",
    "桌子 上 放着 {水果} 和 {水果2}",
    "{家人} 把 {水果} 洗 干净 了",
    "夏天 的 {水果} 最 好吃",
    "{水果} 和 {水果2} 都 是 水果",
    "{人} 最 爱 吃 {水果}",
    # animals
    "{家人} 养 了 一只 {动物}",
    "那 只 {动物} {animal_act}",
    "动物园 里 有 {动物} 和 {动物2}",
    "{人} 喜欢 可爱 的 {动物}",
    "小 {动物} 和 小 {动物2} 是 好 朋友",
    "{将来} 我们 去 看 {动物}",
    "{动物} 是 一种 动物",
    # colours
    "{人} 喜欢 {颜色} 的 {物品}",
    "{家人} 买 了 一件 {颜色} 的 衣服",
    "天空 是 {颜色} 的 吗",
    "这 朵 花 是 {颜色} 的",
    "{颜色} 和 {颜色2} 都 是 颜色",
    "我 的 {物品} 是 {颜色} 的",
    "她 把 墙 涂 成 了 {颜色}",
    # family
    "{家人} 在 家 做饭",
    "{家人} 和 {家人2} 一起 去 {场所}",
    "{家人} 每天 早上 {早起}",
    "{家人} 今天 很 高兴",
    "{家人} 给 我 讲 了 一个 故事",
    "{将来} {家人} 来 看 我",
    "我 很 想念 我 的 {家人}",
    # cities
    "{人} 去 {城市} 旅游",
    "{家人} 住 在 {城市}",
    "{将来} 我们 坐 {远程交通} 去 {城市}",
    "{城市} 是 一个 美丽 的 城市",
    "从 {城市} 到 {城市2} 要 多久",
    "{城市} 和 {城市2} 都 是 大 城市",
    "他 在 {城市} 工作",
    "我 出生 在 {城市}",
    # places
    "{人} 去 {场所} {place_act}",
    "{将来} 我 要 去 {场所}",
    "{场所} 离 我 家 很 近",
    "{家人} 在 {场所} 门口 等 我",
    "{场所} 里 人 很 多",
    # staples and drinks
    "{人} 喜欢 吃 {主食}",
    "{时间} 我们 吃 {主食}",
    "{家人} 做 的 {主食} 最 好吃",
    "早饭 我 吃 了 {主食} 和 {主食2}",
    "{人} 每天 都 喝 {饮料}",
    "{过去} 我 喝 了 一杯 {饮料}",
    "{家人} 不 喜欢 喝 {饮料}",
    "请 给 我 一杯 热 {饮料}",
    "早上 喝 {饮料} 吃 {主食}",
    # transport
    "{人} 坐 {市内交通} 去 {场所}",
    "{远程交通} 比 {市内交通} 快",
    "{家人} 每天 坐 {市内交通} 上班",
    "{人} 不 喜欢 坐 {远程交通}",
    "我们 坐 {市内交通} 回家",
    "{人} 坐 {远程交通} 去 {城市}",
    # jobs
    "{人} 的 {家人} 是 {职业}",
    "{职业} {job_act}",
    "我 长大 了 想 当 {职业}",
    "那 位 {职业} 很 辛苦",
    "{职业} 和 {职业2} 都 很 忙",
    # weather and time
    "{过去} {天气}",
    "今天 天气 很 好 {人} 想 去 公园 散步",
    "外面 下雨 了 {人} 带 了 雨伞",
    # things
    "{人} 的 {物品} 不见 了",
    "{家人} 给 我 买 了 新 {物品}",
    "{物品} 放 在 桌子 上",
]
WEATHER = ["下雨 了", "下雪 了", "是 晴天", "刮 大风 了", "很 冷", "很 热"]
EARLY = ["去 公园 散步", "打 太极拳", "看 报纸", "跑步"]


def _fill(template: str, rng: random.Random) -> str:
    """Fill every slot of one template; slot "X2" gets a word of kind X other than slot X."""
    chosen: dict[str, str] = {}
    out = []
    for part in template.split(" "):
        if not (part.startswith("{") and part.endswith("}")):
            out.append(part)
            continue
        slot = part[1:-1]
        if slot == "fruit_taste":
            out.append(rng.choice(FRUIT_TASTE))
        elif slot == "animal_act":
            out.append(rng.choice(ANIMAL_ACT))
        elif slot == "place_act":
            out.append(PLACE_ACT[chosen["场所"]])
        elif slot == "job_act":
            out.append(JOB_ACT[chosen["职业"]])
        elif slot == "天气":
            out.append(rng.choice(WEATHER))
        elif slot == "早起":
            out.append(rng.choice(EARLY))
        elif slot.endswith("2"):
            kind = slot[:-1]
            word = rng.choice([w for w in WORDS[kind] if w != chosen.get(kind)])
            out.append(word)
        else:
            if slot == "场所" and "{place_act}" in template:
                word = rng.choice(sorted(PLACE_ACT))
            else:
                word = rng.choice(WORDS[slot])
            chosen[slot] = word
            out.append(word)
    return " ".join(out)


def generate(seed: int = SEED, num_sentences: int = NUM_SENTENCES) -> str:
    """The whole corpus as one string (one sentence a line, a final newline)."""
    rng = random.Random(seed)
    lines = []
    seen = set()
    while len(lines) < num_sentences:
        line = _fill(rng.choice(TEMPLATES), rng)
        if line in seen and rng.random() < 0.7:  # keep some repeats, as real text has
            continue
        seen.add(line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="只比较，不写文件")
    args = parser.parse_args()
    text = generate()
    if args.check:
        same = OUT.is_file() and OUT.read_text(encoding="utf-8") == text
        print("语料与生成器一致" if same else f"{OUT} 与生成器的输出不一致")
        return 0 if same else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"已写入 {OUT}：{text.count(chr(10))} 句，{len(text.encode('utf-8'))} 字节")
    return 0


if __name__ == "__main__":
    sys.exit(main())
