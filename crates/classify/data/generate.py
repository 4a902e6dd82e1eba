#!/usr/bin/env python3
"""Writes crates/classify/data/labelled.jsonl: the labelled messages the classifier is trained and
tested on.

Two sources, marked in each line's `source`:
- "generator": messages made here from templates of UK-government WhatsApp/email phrasing, one
  template id per template (`decision/03`), slots filled from shared word lists. The train/test
  split is by template id (crates/classify/src/dataset.rs), so the held-out part is made of
  templates the model never saw, not just new fillings of seen ones.
- "hand": hard cases written by hand in data/hand.tsv (label, category, text), split by id.

Deterministic: a fixed seed and no dependence on dict order or the clock.
Usage: python3 crates/classify/data/generate.py   (rewrites labelled.jsonl next to this file)
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261207
PER_TEMPLATE = 12

SLOTS = {
    "minister": ["the Minister", "the SoS", "the Secretary of State", "the PM", "the Chancellor",
                 "the Home Secretary", "MinSec", "the Health Secretary", "the Lord Chancellor"],
    "project": ["the PPE contract", "the Lexmoor bid", "the ventilator order", "the test and trace extension",
                "the bridge scheme", "the Northfield hospital build", "the housing pilot", "the data platform",
                "the vaccine rollout", "the border IT system", "the school rebuilding programme",
                "the flood defence scheme", "the rail franchise", "the hotel quarantine contract"],
    "amount": ["£250k", "£1.2m", "£3.5m", "£40m", "£120m", "£2.1bn", "£75,000", "£600k", "£18m", "£9.8m",
               "£450,000", "£1.75bn", "£30m", "£5m"],
    "company": ["Lexmoor Ltd", "Ayanda Capital", "PestFix", "Meller Designs", "Randox", "Serco", "Capita",
                "Northgate Medical", "Brightwater Consulting", "Fenwick Logistics", "Orbis Health",
                "Halden Partners", "Greyfriars Group", "Aldous Systems"],
    "person": ["Sarah", "James", "Priya", "Tom", "Alex", "Fiona", "Raj", "Helen", "Mark", "Dominic",
               "Lucy", "Chris", "Anna", "Ben", "Kemi", "Olu"],
    "policy": ["the sugar levy", "the planning reforms", "the onshore wind ban", "the 2p cut", "the lockdown rules",
               "the nurses' pay offer", "the asylum bill", "the free ports policy", "the net zero target",
               "the tuition fee cap", "the smoking ban", "the rent reform bill", "the energy price cap"],
    "option": ["option A", "option B", "option 2", "option 3", "the cheaper option", "the phased option",
               "the second option", "the full package"],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow", "next week", "Thurs", "Weds"],
    "time": ["9", "10.30", "11", "12", "2pm", "3", "3.30", "4pm", "5", "half 2", "quarter to 4"],
    "place": ["the office", "Marsham St", "King Charles St", "the Treasury", "the car", "Victoria",
              "the station", "reception", "room 4.12", "the 2nd floor", "Portcullis House", "Number 10"],
    "lobby": ["a lobbyist from", "the CEO of", "the chair of", "a director at", "the founder of",
              "two people from", "the head of public affairs at", "a partner at"],
    "food": ["pizza", "sandwiches", "curry", "cake", "pastries", "sushi", "a burrito", "chips"],
    "social": ["leaving do", "Christmas party", "team drinks", "quiz night", "birthday drinks", "summer social",
               "farewell lunch", "pub trip"],
    "small": ["£5", "£10", "£15", "£20", "£25", "£8.50", "£12", "a tenner", "a fiver"],
    "family": ["my son", "my daughter", "the kids", "my mum", "my partner", "my wife", "my husband", "my dad"],
    "sport": ["the football", "the match", "the cricket", "the rugby", "the darts", "the Euros", "the Grand National"],
}

TEMPLATES = {
    ("significant", "decision"): [
        "We've decided to go with {option} on {project}. Please let the team know.",
        "Decision taken: {project} will not proceed this year.",
        "{minister} has decided we go with {option}. No further debate.",
        "After the meeting we agreed to drop {policy}. Comms to follow.",
        "Final call on {project}: we proceed with {company} at {amount}.",
        "Ok so the decision is {option} for {project}, effective {day}.",
        "We are going with {option}. I'll tell {minister} tonight.",
        "Agreed with {person} that {project} is paused until the review reports.",
        "Just to confirm the decision: {policy} is scrapped, announcement {day}.",
        "Made the call - {company} are out, we retender {project}.",
        "{minister} settled on {option}. Write it up as the agreed way forward.",
        "We will not proceed with {policy}. The decision stands.",
        "Right, decided: we extend {project} by six months at {amount}.",
        "The decision on {project} is yes, subject to the business case.",
    ],
    ("significant", "instruction"): [
        "Please ensure the submission on {project} is with {minister} by {day}.",
        "I need you to draft a note on {policy} for the box tonight.",
        "Get the team to pull together the costs of {project} by close of play.",
        "{person} - can you make sure {company} get the revised terms before {day}?",
        "Tell officials to stop all work on {policy} until further notice.",
        "Action for {person}: redo the figures for {project} and send to me.",
        "Do not release the {project} figures until {minister} has seen them.",
        "I want a one-pager on {policy} on my desk by {time} {day}.",
        "Ask officials to prepare options on {project}, including doing nothing.",
        "Hold the announcement on {policy}. Nothing goes out until I say.",
        "You need to chase {company} for the delivery schedule today.",
        "Can you instruct the lawyers to review the {project} terms urgently.",
        "Send {minister} the latest draft on {policy} and flag the risks.",
    ],
    ("significant", "approval"): [
        "Approved. Go ahead with {project}.",
        "{minister} has signed off {option} for {project}.",
        "Yes, you have clearance to proceed with {company} at {amount}.",
        "Green light from No10 on {policy}.",
        "Happy to approve the spend of {amount} on {project}.",
        "Content to proceed with {option}. Thanks.",
        "Signed off. Let {company} know today.",
        "{minister} approves the business case for {project}.",
        "Sign off granted for {amount}, subject to Treasury.",
        "OK from me to go ahead with {option} - approved.",
        "Ministerial clearance given for {policy} announcement on {day}.",
        "Fine, authorise the payment to {company}.",
        "We have approval for {project}. Proceed.",
    ],
    ("significant", "money-and-contracts"): [
        "{company} want {amount} upfront for {project}. Contract goes to them {day}.",
        "The contract with {company} is worth {amount} over three years.",
        "Invoice from {company} for {amount} needs paying before {day}.",
        "Budget for {project} has gone up to {amount}. Treasury won't like it.",
        "We are paying {company} {amount} for {project} - is that value for money?",
        "Can we find {amount} from underspend for {project}?",
        "{company} are asking to vary the contract by {amount}.",
        "The deal with {company}: {amount}, 40% on signature.",
        "Accounting officer has concerns about the {amount} payment to {company}.",
        "Grant of {amount} for {project} confirmed by the Treasury.",
        "Costings for {project} came back at {amount}, double the estimate.",
        "Direct award to {company} of {amount} for {project}.",
        "We need to pay {company} {amount} by Friday or the contract lapses.",
    ],
    ("significant", "procurement"): [
        "{company} came through the VIP lane for {project}.",
        "Can we get {company} onto the framework for {project}?",
        "The tender for {project} closes {day}; three bidders so far.",
        "Emergency procurement route for {project} - no competition.",
        "{person} says {company} are the preferred supplier for {project}.",
        "Shortlist for {project}: {company} and two others.",
        "Due diligence on {company} flagged problems. Still award?",
        "Invitation to tender for {project} goes out {day}.",
        "Please fast-track {company}'s bid, {minister} knows them.",
        "The evaluation panel scored {company} highest for {project}.",
        "Is {company} on the Crown Commercial Service framework?",
        "We need another supplier for {project}, the current bidders are weak.",
        "Procurement say we can use a direct award for {project}.",
    ],
    ("significant", "policy-position"): [
        "Our position on {policy} is that we do not support it.",
        "Line to take on {policy}: we keep it under review.",
        "{minister} wants to U-turn on {policy} before the recess.",
        "The government's position is that {policy} stays.",
        "We oppose any amendment weakening {policy}.",
        "Press lines on {policy}: focus on jobs, not costs.",
        "Consultation on {policy} launches {day}, white paper in the spring.",
        "We're changing our stance on {policy} - it'll be in the King's Speech.",
        "The line is that {project} was always temporary.",
        "{policy} is dead, we'll legislate for the alternative.",
        "The manifesto commitment on {policy} stays, whatever the Treasury says.",
        "New guidance on {policy} to be published {day}.",
    ],
    ("significant", "legal-advice"): [
        "Legal advice on {project} says we are exposed if we direct award to {company}.",
        "GLD think {policy} would lose a judicial review.",
        "Counsel's view: the {company} contract is unlawful as it stands.",
        "Legally privileged: lawyers say don't put anything on {project} in writing.",
        "The Attorney General has concerns about {policy}.",
        "Legal risk on {project} is high - {company} will litigate.",
        "Lawyers want to see the {company} emails before the inquiry.",
        "Advice from GLD on the FOI about {project}: we can withhold under s.43.",
        "JR threat from {company} over {project}. Need counsel today.",
        "The law officers have cleared {policy} as lawful.",
        "Our lawyers say {minister} should not meet {company} while the tender is live.",
        "The inquiry has asked for all messages about {project}.",
    ],
    ("significant", "ministerial-direction"): [
        "{minister} wants {project} done by {day}, whatever it takes.",
        "The PM has asked that {policy} is dropped.",
        "{minister} wants {company} looked at for {project}.",
        "On the minister's instruction: pause {project}.",
        "No10 wants the {policy} announcement moved up.",
        "{minister} has asked for {company} to be added to the list.",
        "{minister} wants a ministerial direction if the accounting officer objects.",
        "SoS wants all {project} numbers to go through private office first.",
        "{minister} is insisting on {option} despite the advice.",
        "Number 10 wants us to find {amount} for {project}.",
        "{minister} says no more meetings with {company} without a spad present.",
        "Private office: {minister} wants {policy} in the next Cabinet paper.",
    ],
    ("significant", "outside-meeting"): [
        "Met {lobby} {company} last night, they want in on {project}.",
        "Dinner with {lobby} {company} {day}. Off the books please.",
        "{person} introduced me to {lobby} {company} - keen on {project}.",
        "Had lunch with {lobby} {company}. They offered to help with {policy}.",
        "{minister} is meeting {lobby} {company} {day} about {project}.",
        "Drinks with {lobby} {company} - they asked about the tender.",
        "Quick coffee with {lobby} {company} re {project}. Will declare?",
        "{lobby} {company} texted {minister} directly about {policy}.",
        "Meeting with {lobby} {company} and two donors at {place}.",
        "They (the {company} people) want to see {minister} before the contract is signed.",
        "Stakeholder call with {lobby} {company} on {policy}, no officials present.",
        "{company}'s investor wants a meeting about {project}.",
    ],
    ("trivial", "logistics"): [
        "On my way, 10 mins.",
        "Running late, train is delayed at {place}.",
        "Which room are we in?",
        "I'm in reception at {place}.",
        "Can someone bring a charger to {place}?",
        "Stuck in traffic, start without me.",
        "Taxi booked for {time}, meet outside {place}.",
        "Wifi is down on the 2nd floor again.",
        "Just arrived at {place}. Where are you?",
        "Left my pass at home, can you let me in at {place}?",
        "The printer on our floor is jammed again.",
        "Teams link isn't working, dialling in instead.",
        "Here now, outside {place}.",
        "Car park at {place} is full, parking round the back.",
    ],
    ("trivial", "greeting-thanks"): [
        "Thanks {person}!",
        "Thank you so much, really appreciate it.",
        "Morning all",
        "Cheers {person}, great work today.",
        "Happy birthday {person}! 🎉",
        "Well done everyone, good week.",
        "Have a good weekend all.",
        "Many thanks for all your help this week.",
        "Congratulations on the new job {person}!",
        "Hope you're well {person}.",
        "Good night all, thanks for today.",
        "Merry Christmas everyone!",
        "Hello {person}, hope the trip went well.",
    ],
    ("trivial", "acknowledgement"): [
        "ok",
        "Ok thanks",
        "Noted.",
        "Got it",
        "Will do",
        "👍",
        "Sure",
        "Understood.",
        "No worries",
        "Yep",
        "Seen, thanks",
        "Sounds good",
        "On it",
        "Makes sense",
        "Received, thanks {person}",
    ],
    ("trivial", "scheduling"): [
        "Can we move the call to {time} {day}?",
        "Are you free at {time} {day}?",
        "I've put 30 mins in the diary for {day}.",
        "Can we push back the catch up to {time}?",
        "Invite sent for {day} at {time}.",
        "What time works {day}?",
        "Could we reschedule {day}'s catch up?",
        "Diary is clear after {time} {day}.",
        "Let's do {time} {day}, I'll send an invite.",
        "Can we do half an hour {day} morning?",
        "Is {person} free for a call at {time}?",
        "Doodle poll for next week's team meeting is out.",
        "Slot at {time} {day} works for me.",
    ],
    ("trivial", "personal"): [
        "Doing the school run, back in 20.",
        "Off sick today, feeling rough.",
        "Dentist at {time}, back after.",
        "{family} is ill, working from home today.",
        "On annual leave {day}, back the week after.",
        "Plumber coming {day} so I'll be late.",
        "Need to leave early for nursery pick up.",
        "GP appointment {day} morning, will be online after.",
        "Walking the dog, call you in 10.",
        "Childcare fell through, can I join by phone?",
        "Boiler's broken again, waiting in for the engineer.",
        "Off to the gym, back at {time}.",
        "Taking {family} to the hospital for a check up, back later.",
    ],
    ("trivial", "social"): [
        "Drinks after work {day}?",
        "Who's coming to the {social}?",
        "{small} each for {person}'s {social}, please.",
        "There's {food} in the kitchen!",
        "Pub quiz {day}, we need a team name.",
        "Anyone watching {sport} tonight?",
        "Cake in the office for {person}'s birthday.",
        "Whip round for {person}'s {social} - {small} if you can.",
        "Fancy a coffee at {time}?",
        "Lunch at {time}? I'm getting {food}.",
        "Karaoke at the {social} was a mistake haha",
        "Card for {person} is on my desk, please sign.",
        "Did anyone see {sport} last night? Unreal.",
    ],
}

PREFIXES = ["", "", "", "", "Hi, ", "FYI ", "{person} - ", "Quick one: ", "Re your msg: ", "Morning, "]
SUFFIXES = ["", "", "", "", " Thanks", " Thx", " x", " 👍", " Cheers", " Ta."]


def fill(rng, template):
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        key = out[start + 1:end]
        out = out[:start] + rng.choice(SLOTS[key]) + out[end + 1:]
    return out


def vary(rng, text):
    r = rng.random()
    if r < 0.12:
        text = text.lower()
    elif r < 0.18:
        text = text.rstrip(".")
    p = rng.choice(PREFIXES)
    s = rng.choice(SUFFIXES)
    if p:
        p = fill(rng, p)
        text = p + (text[0].lower() + text[1:] if text[:1].isupper() and not text.startswith(("I ", "I'")) else text)
    return text + s


def main():
    rng = random.Random(SEED)
    rows = []
    for (label, category), templates in TEMPLATES.items():
        for ti, template in enumerate(templates):
            tid = f"{category}/{ti:02d}"
            seen = set()
            n = 0
            attempts = 0
            while n < PER_TEMPLATE and attempts < PER_TEMPLATE * 20:
                attempts += 1
                text = vary(rng, fill(rng, template))
                if text in seen:
                    continue
                seen.add(text)
                n += 1
                rows.append({"id": f"g-{tid}-{n:02d}", "text": text, "label": label,
                             "category": category, "source": "generator", "template": tid})
    with open(os.path.join(HERE, "hand.tsv"), encoding="utf-8") as f:
        n = 0
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            label, category, text = line.split("\t", 2)
            n += 1
            rows.append({"id": f"h-{n:03d}", "text": text, "label": label, "category": category,
                         "source": "hand"})
    with open(os.path.join(HERE, "labelled.jsonl"), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    gen = sum(1 for r in rows if r["source"] == "generator")
    print(f"{len(rows)} messages: {gen} generated from {sum(len(t) for t in TEMPLATES.values())} templates, {len(rows) - gen} by hand")


if __name__ == "__main__":
    main()
