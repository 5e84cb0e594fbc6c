"""The words of the service demo: what customers write about, by top-level category, and what
staff answer. English, as the rest of the demo data's free text."""

# top-level category (the defaults migration's names) -> (subject, what the customer wrote)
SUBJECTS = {
    "Installation": [
        ("Installation appointment for a new washing machine", "Please send a technician to install it this week."),
        ("The installer did not come", "We waited all morning and nobody came or called."),
        ("Air conditioner installed crooked", "Water drips from the indoor unit since the installation."),
        ("Wall mount for the TV", "Can your team mount the TV on a concrete wall?"),
    ],
    "Repairs": [
        ("Refrigerator stopped cooling", "The fridge is warm since yesterday; the freezer still works."),
        ("Washing machine leaks", "Water comes out under the door during the spin cycle."),
        ("Dishwasher shows error E24", "The dishwasher stops with error E24 and does not drain."),
        ("Oven does not heat", "The oven lights up but stays cold."),
        ("Repair took too long", "My device has been at your workshop for three weeks."),
    ],
    "Billing and payments": [
        ("Charged twice for one order", "The same amount was taken twice from my card."),
        ("Invoice has the wrong company name", "Please issue the invoice to our registered company name."),
        ("Refund not received", "You promised a refund ten days ago and nothing has arrived."),
        ("Instalment plan question", "Can I pay the rest in three instalments?"),
    ],
    "Delivery": [
        ("Order arrived late", "Delivery was promised for Saturday and came on Wednesday."),
        ("Box damaged on arrival", "The box was crushed and the door of the fridge is dented."),
        ("Wrong item delivered", "I ordered the white model and got the silver one."),
        ("Courier was rude", "The courier refused to carry the box upstairs."),
    ],
    "Product questions": [
        ("Which filter fits my model?", "Which water filter fits the side-by-side fridge I bought?"),
        ("Warranty period", "How long is the warranty on the vacuum cleaner?"),
        ("Energy label", "What is the energy class of the dishwasher?"),
    ],
    "Staff and service quality": [
        ("Nobody answers the phone", "I called the service line five times without an answer."),
        ("I was passed from one person to another", "Every time I call I have to explain everything again."),
        ("Technician was excellent", "I want to thank the technician who came yesterday."),
    ],
}
FIRST_REPLIES = [
    "Thank you for contacting us. We are looking into it and will update you today.",
    "We are sorry for the trouble. A colleague is checking your case now.",
    "Thank you, we received your request and will call you to arrange a visit.",
]
CUSTOMER_FOLLOW_UPS = [
    "Any news? I am still waiting.",
    "The technician can come after 4 pm.",
    "Here is the serial number from the label: SN-4471-2290.",
    "Thank you, I will be at home tomorrow morning.",
]
NOTES = [
    "Checked the order: delivered by the second courier company.",
    "Customer is a long-standing account; handle with care.",
    "Spare part ordered from the central warehouse.",
    "Called the customer, no answer; will try again.",
]
RESOLUTION_REPLIES = [
    "The issue is fixed. Please tell us if anything else comes up.",
    "The refund has been issued and will reach your card within three working days.",
    "The replacement was delivered and installed. Thank you for your patience.",
]
TRANSFER_REASONS = [
    "Needs the billing team",
    "Technical question for a senior colleague",
    "Owner on leave",
    "Customer asked for the manager",
]
SURVEY_COMMENTS = {
    5: ["Fast and friendly, thank you.", "Excellent service."],
    4: ["Good, but it took a while.", ""],
    3: ["It was fixed in the end.", ""],
    2: ["Too slow, I had to call several times."],
    1: ["Nobody took responsibility.", "Still not happy with the result."],
}
WORK_ORDER_NOTES = [
    "Visited the customer and checked the device.",
    "Replaced the faulty part; tested for an hour.",
    "Waiting for the customer to be at home.",
]
