# onrecord classification lexicon: UK government defaults.
#
# Format (see crates/classify/src/lexicon.rs):
#   version 1                         first line that is not a comment
#   name NAME                         optional, quoted in reasons
#   [category LABEL/CATEGORY]         LABEL is significant or trivial
#   WEIGHT PHRASE                     weight in log-odds towards the label; phrase = whole words, any case
# Words are matched whole: list inflections ("approve", "approved") separately. Emoji and
# punctuation are not words and cannot be terms.
# A department copies this file, edits it, and passes it with `onrecord classify --lexicon FILE`.

version 1
name uk-government

[category significant/decision]
2.5 we have decided
2.5 we've decided
2.5 decision is
2.5 decision taken
2.0 decided
2.0 decision
2.0 agreed to
1.5 agreed that
2.0 final call
2.0 we will go with
2.0 going with option
1.5 option a
1.5 option b
1.5 option 1
1.5 option 2
2.0 the decision
1.5 signed off on
2.0 we will not proceed
2.0 not proceeding
2.0 scrap the
1.5 drop the proposal
2.0 confirmed the decision
1.5 settled on
1.5 made the call
1.5 overruled

[category significant/instruction]
2.0 please ensure
2.0 make sure that
1.5 action for
1.5 actions for
2.0 i want you to
2.0 i need you to
1.5 you need to
1.5 needs to be done
2.0 instruct
2.0 instructed
1.5 draft a
1.5 prepare a submission
2.0 submission by
1.5 get the team to
1.5 tell officials
1.5 ask officials
1.5 by close of play
1.0 deadline
1.5 have it on my desk
2.0 do not release
2.0 hold the announcement
2.0 pull the

[category significant/approval]
2.5 approved
2.5 approve
2.0 approval
2.5 sign off
2.5 signed off
2.0 green light
2.0 go ahead
1.5 happy to proceed
1.5 content to proceed
2.0 content with the
1.5 cleared
1.5 authorised
2.0 authorise
1.5 rubber stamp
1.5 yes do it
1.0 proceed
1.5 ministerial clearance
2.0 clearance

[category significant/money-and-contracts]
2.5 contract
2.5 contracts
2.0 contract award
1.5 invoice
1.5 payment
1.5 pay them
2.0 funding
2.0 budget
1.5 spend
1.5 spending
2.0 million
2.0 billion
1.5 grant
2.0 value for money
2.0 business case
1.5 supplier
1.5 suppliers
1.5 the deal
2.0 terms of the contract
1.5 costings
1.5 allocation
2.0 accounting officer
1.5 direct award
1.5 liability
1.5 indemnity

[category significant/procurement]
2.5 procurement
2.5 tender
2.0 tendering
2.0 framework agreement
2.0 vip lane
2.0 high priority lane
2.0 bidder
2.0 bidders
2.0 bids
1.5 bid
2.0 invitation to tender
2.0 preferred supplier
2.0 crown commercial service
1.5 ccs
2.0 emergency procurement
1.5 due diligence
1.5 ppe
1.5 lateral flow
1.5 ventilators
1.5 award the
2.0 shortlist
1.5 shortlisted
1.5 evaluation panel

[category significant/policy-position]
2.0 policy
2.0 our position
2.0 the line is
2.0 line to take
2.0 lines to take
1.5 press lines
1.5 announcement
1.5 announce
1.5 consultation
1.5 white paper
1.5 legislation
1.5 the bill
1.5 manifesto
1.5 u turn
1.5 the government's position
1.5 we oppose
1.5 we support
1.5 stance
1.5 strategy
1.5 reform
1.5 guidance
1.5 regulations

[category significant/legal-advice]
2.5 legal advice
2.5 legally privileged
2.5 privileged
2.0 counsel
2.0 lawyers
2.0 legal risk
2.0 judicial review
2.0 jr
2.0 litigation
2.0 government legal department
2.0 gld
2.0 attorney general
1.5 the law officers
1.5 legal view
1.5 legally
1.5 lawful
1.5 unlawful
1.5 challenge in court
1.5 ombudsman
1.5 public inquiry
1.5 inquiry
1.5 foi
1.5 freedom of information
1.5 disclosure

[category significant/ministerial-direction]
2.5 ministerial direction
2.5 the minister wants
2.5 minister wants
2.5 the secretary of state wants
2.0 sos wants
2.0 ss wants
2.0 no10 wants
2.0 number 10 wants
2.0 pm wants
2.0 the pm has asked
2.0 minister has asked
2.0 on the minister's instruction
2.0 minister's instruction
1.5 secretary of state
1.5 the minister
1.5 minister
1.5 the pm
1.5 no10
1.5 number 10
1.5 spad
1.5 private office
1.5 cabinet
1.5 cobr

[category significant/outside-meeting]
2.5 lobbyist
2.5 lobbyists
2.0 lobbying
2.0 met with
2.0 meeting with
2.0 dinner with
2.0 lunch with
2.0 introduced me to
2.0 chief executive
2.0 ceo
1.5 the company
1.5 investor
1.5 investors
1.5 donor
1.5 donors
1.5 stakeholder
1.5 stakeholders
1.5 trade association
1.5 hospitality
1.5 register of interests
1.5 declare
1.5 conflict of interest

[category trivial/logistics]
1.5 on my way
1.5 running late
1.5 running 10 mins late
1.5 train is delayed
1.5 stuck in traffic
1.5 taxi
1.5 car park
1.5 the lift
1.5 which room
1.5 room booked
1.0 parking
1.0 pass
1.5 where are you
1.5 outside
1.5 in reception
1.5 at reception
1.5 charger
1.5 wifi
1.5 printer
1.0 laptop
1.0 dial in
1.0 teams link
1.0 zoom link
1.5 here now
1.5 just arrived

[category trivial/greeting-thanks]
# Pleasantries close significant messages too ("Signed off. Thanks"): kept light.
1.0 thanks
1.0 thank you
1.0 cheers
1.0 many thanks
1.5 good morning
1.5 morning all
1.5 good night
1.5 hi
1.5 hello
1.5 hope you're well
1.5 hope you are well
1.5 have a good weekend
1.5 happy birthday
1.5 congratulations
1.5 congrats
1.5 well done
1.5 great work
1.5 nice one
1.5 much appreciated
1.0 appreciate it
1.5 merry christmas
1.5 happy new year

[category trivial/acknowledgement]
2.0 ok
2.0 okay
2.0 k
2.0 noted
2.0 got it
2.0 will do
2.0 sure
2.0 understood
1.5 no worries
1.5 np
1.5 fine
1.5 roger
1.5 great
1.5 perfect
1.5 sounds good
1.5 makes sense
1.5 seen
1.5 received
1.5 on it
1.0 yep
1.0 yup
1.0 ta

[category trivial/scheduling]
2.0 diary
2.0 in the diary
2.0 calendar
2.0 invite
2.0 reschedule
2.0 rescheduled
2.0 move the call
2.0 push back
2.0 are you free
1.5 free at
1.5 free for
1.5 catch up
1.5 catch-up
1.5 what time
1.5 tomorrow at
1.5 next week
1.5 slot
1.5 availability
1.5 doodle
1.5 30 mins
1.5 half an hour
1.5 call at
1.5 can we do

[category trivial/personal]
2.0 kids
2.0 school run
2.0 nursery
2.0 dentist
2.0 doctor's appointment
2.0 gp appointment
2.0 feeling ill
2.0 feeling rough
2.0 off sick
2.0 childcare
1.5 my wife
1.5 my husband
1.5 my partner
1.5 my mum
1.5 my dad
1.5 holiday
1.5 annual leave
1.5 on leave
1.5 gym
1.5 the dog
1.5 plumber
1.5 boiler
1.5 home early

[category trivial/social]
2.0 drinks
2.0 pub
2.0 leaving do
2.0 leaving drinks
2.0 christmas party
2.0 whip round
2.0 whip-round
2.0 cake
2.0 football
2.0 the match
2.0 bake off
1.5 coffee
1.5 lunch
1.5 pizza
1.5 quiz
1.5 karaoke
1.5 birthday
1.5 card for
1.5 haha
1.5 lol
1.5 weekend
1.5 fancy a
